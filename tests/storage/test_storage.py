"""Storage on SQLite and on a real PostgreSQL server: the same behaviour from the same calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from bot.storage import Storage, account, favourites, generations, jobs, migrate, users
from bot.storage.database import create_engine
from bot.storage.models import Base, Favourite, Generation, TrainingJob, User, utcnow
from tests.support.postgres import PostgresServer


async def make_generation(storage: Storage, user_id: int, text: str = "O gentle night") -> Generation:
    return await generations.add(
        storage,
        user_id=user_id,
        chat_id="console:local",
        command="poem",
        model="shakespeare",
        model_version="1",
        seed_text="O",
        rng_seed=2**62 + 7,
        params={"temperature": 0.8, "top_p": 0.95, "count": 1},
        text=text,
        latency_s=0.25,
    )


async def test_migrations_match_the_models_and_rerun_cleanly(database_url: str) -> None:
    first = await Storage.open(database_url)
    await first.close()
    store = await Storage.open(database_url)  # second start-up: already at head, nothing to do

    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await store.close()


@pytest.mark.postgres
async def test_replicas_migrating_one_empty_database_at_once_all_succeed(
    postgres_server: PostgresServer,
) -> None:
    url = await postgres_server.create_database()
    engines = [create_engine(url) for _ in range(8)]
    try:
        for engine in engines:  # connected beforehand, so the upgrades really start together
            async with engine.connect():
                pass
        await asyncio.gather(*(migrate.upgrade(engine) for engine in engines))
        async with engines[0].connect() as conn:
            current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        for engine in engines:
            await engine.dispose()
    assert current == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


async def test_users_are_unique_per_platform_and_keep_their_latest_name(storage: Storage) -> None:
    a = await users.ensure(storage, "telegram", "42", "Ann")
    assert await users.ensure(storage, "telegram", "42", "Annie") == a
    b = await users.ensure(storage, "discord", "42", "Ann")
    assert b != a
    found = await users.find(storage, "telegram", "42")
    assert found is not None and found.name == "Annie"
    assert await users.find(storage, "console", "42") is None


async def test_a_generation_keeps_everything_that_reproduces_it(storage: Storage) -> None:
    uid = await users.ensure(storage, "console", "local", "me")
    row = await make_generation(storage, uid)
    got = await generations.get(storage, row.id)
    assert got is not None
    assert (got.model, got.model_version, got.seed_text, got.rng_seed) == ("shakespeare", "1", "O", 2**62 + 7)
    assert got.params == {"temperature": 0.8, "top_p": 0.95, "count": 1}
    assert got.created_at.tzinfo is not None and abs(got.created_at - datetime.now(UTC)) < timedelta(
        minutes=5
    )
    newer = await make_generation(storage, uid, "second")
    assert [g.id for g in await generations.latest(storage, uid)] == [newer.id, row.id]


async def test_a_favourite_is_saved_once(storage: Storage) -> None:
    uid = await users.ensure(storage, "console", "local", "me")
    gen = await make_generation(storage, uid)
    assert await favourites.add(storage, uid, gen.id) is True
    assert await favourites.add(storage, uid, gen.id) is False
    rows, total = await favourites.page(storage, uid, offset=0, limit=5)
    assert total == 1 and [r.id for r in rows] == [gen.id]
    assert await favourites.remove(storage, uid, gen.id) is True
    assert await favourites.remove(storage, uid, gen.id) is False
    assert await favourites.page(storage, uid, offset=0, limit=5) == ([], 0)


async def test_favourites_page_newest_first(storage: Storage) -> None:
    uid = await users.ensure(storage, "console", "local", "me")
    gens = [await make_generation(storage, uid, f"poem {i}") for i in range(7)]
    for g in gens:
        await favourites.add(storage, uid, g.id)
    first, total = await favourites.page(storage, uid, offset=0, limit=5)
    second, _ = await favourites.page(storage, uid, offset=5, limit=5)
    assert total == 7
    assert [g.id for g in first + second] == [g.id for g in reversed(gens)]


async def test_concurrent_saves_from_many_tasks_lose_nothing(storage: Storage) -> None:
    """50 users each save 4 generations, every save sent twice at once: 200 rows, no error."""
    uids = await asyncio.gather(*(users.ensure(storage, "telegram", str(i), f"u{i}") for i in range(50)))
    gens = [await make_generation(storage, uids[0], f"g{i}") for i in range(4)]
    saves = [favourites.add(storage, uid, g.id) for uid in uids for g in gens for _ in range(2)]
    outcomes = await asyncio.gather(*saves)
    assert outcomes.count(True) == 200
    async with storage.read() as session:
        assert await session.scalar(select(func.count()).select_from(Favourite)) == 200


async def test_concurrent_first_contact_makes_one_user(storage: Storage) -> None:
    ids = await asyncio.gather(*(users.ensure(storage, "discord", "7", "same") for _ in range(30)))
    assert len(set(ids)) == 1
    async with storage.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_forget_removes_everything_of_that_user_only(storage: Storage) -> None:
    me = await users.ensure(storage, "telegram", "1", "me")
    other = await users.ensure(storage, "telegram", "2", "other")
    mine = await make_generation(storage, me)
    theirs = await make_generation(storage, other)
    await favourites.add(storage, me, mine.id)
    await favourites.add(storage, me, theirs.id)
    await favourites.add(storage, other, theirs.id)
    await favourites.add(storage, other, mine.id)  # a favourite of my text: my data, so it goes too
    await account.request_confirmation(storage, me, "forget", utcnow() + timedelta(minutes=5))
    job = await jobs.create(storage, model="dinos", requested_by="telegram:1", params={}, notify_chat_id="1")

    gone = await account.forget(storage, me)

    assert gone == account.Holdings(generations=1, favourites=2)
    assert await users.find(storage, "telegram", "1") is None
    assert await generations.get(storage, mine.id) is None
    assert await generations.get(storage, theirs.id) is not None
    assert [g.id for g in (await favourites.page(storage, other, offset=0, limit=9))[0]] == [theirs.id]
    kept = await jobs.get(storage, job.id)
    assert kept is not None and kept.requested_by is None and kept.notify_chat_id is None
    async with storage.read() as session:
        for table in ("favourites", "generations", "confirmations"):
            rows = await session.scalar(text(f"SELECT count(*) FROM {table} WHERE user_id = :u"), {"u": me})
            assert rows == 0, table
    assert await account.forget(storage, me) == account.Holdings(0, 0)


async def test_a_confirmation_works_once_and_only_in_time(storage: Storage) -> None:
    uid = await users.ensure(storage, "console", "local", "me")
    now = utcnow()
    assert await account.consume_confirmation(storage, uid, "forget", now) is False
    await account.request_confirmation(storage, uid, "forget", now + timedelta(minutes=5))
    assert await account.consume_confirmation(storage, uid, "forget", now) is True
    assert await account.consume_confirmation(storage, uid, "forget", now) is False
    await account.request_confirmation(storage, uid, "forget", now + timedelta(minutes=5))
    assert await account.consume_confirmation(storage, uid, "forget", now + timedelta(minutes=6)) is False


async def test_job_state_changes_are_guarded(storage: Storage) -> None:
    job = await jobs.create(storage, model="dinos", requested_by="cli", params={"steps": 300})
    assert await jobs.update_fields(storage, job.id, state="running", only_from=["queued"]) is True
    assert await jobs.update_fields(storage, job.id, state="cancelled", only_from=["queued"]) is False
    assert await jobs.update_fields(storage, job.id, progress=0.5, metrics={"loss": 1.2}) is True
    got = await jobs.get(storage, job.id)
    assert got is not None and (got.state, got.progress, got.metrics) == ("running", 0.5, {"loss": 1.2})
    assert [j.id for j in await jobs.recent(storage, states=["running"])] == [job.id]
    with pytest.raises(ValueError, match="unknown job state"):
        await jobs.update_fields(storage, job.id, state="exploded")


async def test_read_modify_write_in_a_write_transaction_loses_no_update(storage: Storage) -> None:
    """The recipe for any read-then-update: ``storage.write()`` and a ``FOR UPDATE`` read (SQLite
    needs only the former — ``BEGIN IMMEDIATE`` — and ignores the latter; PostgreSQL needs the lock)."""
    job = await jobs.create(storage, model="dinos", requested_by="cli", params={})

    async def bump() -> None:
        async with storage.write() as session:
            row = await session.scalar(select(TrainingJob).where(TrainingJob.id == job.id).with_for_update())
            assert row is not None
            await asyncio.sleep(0)  # let the other tasks run between the read and the write
            row.progress = row.progress + 1

    await asyncio.gather(*(bump() for _ in range(20)))
    got = await jobs.get(storage, job.id)
    assert got is not None and got.progress == 20


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    storage = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    try:
        async with storage.read() as session:
            assert (await session.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await session.scalar(text("PRAGMA foreign_keys"))) == 1
            assert (await session.scalar(text("PRAGMA busy_timeout"))) > 0
            assert (await session.scalar(text("PRAGMA synchronous"))) == 1  # NORMAL: WAL keeps commits
    finally:
        await storage.close()
