"""Ids out of any column's range are "no such …"; ``/forget`` leaves nothing behind and reuses no id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import Bardling
from bot.config import Settings
from bot.core.args import split_command
from bot.core.types import Invocation, Reply
from bot.storage import Storage, migrate
from bot.storage.database import create_engine

Say = Callable[..., Awaitable[Reply]]
ADMIN = "1"
HUGE = [2**31, 2**63, 2**64 + 5]
DAY = "'2024-01-01'"


@pytest.fixture
async def bot(database_url: str, tmp_path: Path, tiny_models: Path) -> AsyncIterator[Bardling]:
    settings = Settings(
        data_dir=tmp_path / "data",
        bundled_models_dir=tiny_models,
        database_url=database_url,
        admins=[f"telegram:{ADMIN}"],
        rate_limit_per_minute=600,
        rate_limit_burst=1000,
        engine_threads=1,
        retrain_worker=False,
    )
    async with Bardling(settings, run_jobs=False) as app:
        yield app


def speaker(app: Bardling) -> Say:
    async def say(
        line: str, *, user: str = ADMIN, chat: str | None = None, platform: str = "telegram"
    ) -> Reply:
        command, args = split_command(line) or ("", [])
        return await app.core.handle(Invocation(platform, user, f"user {user}", chat or user, command, args))

    return say


@pytest.mark.parametrize("number", HUGE)
async def test_an_id_past_any_column_is_no_such_thing(bot: Bardling, number: int) -> None:
    say = speaker(bot)
    assert not (await say("/poem O")).error
    assert not (await say("/fav")).error
    for line, expected in [
        (f"/replay {number}", f"No generation #{number} here"),
        (f"/show {number}", f"No generation #{number} here"),
        (f"/fav {number}", f"No generation #{number} here"),
        (f"/again {number}", f"No generation #{number} here"),
        (f"/unfav {number}", f"#{number} is not in your favourites"),
        (f"/job {number}", f"There is no job #{number}"),
        (f"/cancel {number}", f"There is no job #{number}"),
        (f"/favs {number}", "You have 1 page of favourites"),
    ]:
        reply = await say(line)
        assert reply.error and reply.text.startswith(expected), (line, reply.text)


async def test_forgotten_ids_are_never_given_out_again(bot: Bardling) -> None:
    say = speaker(bot)
    await say("/poem O", user="7")
    last = (await say("/poem O", user="7")).generation_id
    await say("/forget", user="7")
    assert not (await say("/forget confirm", user="7")).error
    after = (await say("/poem O", user="8")).generation_id
    assert last is not None and after is not None and after > last


async def test_forget_warns_about_others_favourites_and_keeps_no_copy_in_the_log(
    tmp_path: Path, tiny_models: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", bundled_models_dir=tiny_models, engine_threads=1,
        rate_limit_per_minute=600, rate_limit_burst=1000, retrain_worker=False,
    )  # fmt: skip
    async with Bardling(settings) as app:
        say = speaker(app)
        made = await say("/poem Quuxzanzibar", user="7", chat="group")
        assert not (await say(f"/fav {made.generation_id}", user="8", chat="group")).error
        asked = await say("/forget", user="7")
        assert "1 favourite other people saved of your generations will go from their lists too" in asked.text
        assert not (await say("/forget confirm", user="7")).error
        files = [p for p in settings.data_dir.iterdir() if p.name.startswith("bardling.db")]
        assert files and not any(b"Quuxzanzibar" in p.read_bytes() for p in files)


async def test_forget_at_the_console_empties_its_history(bot_settings: Settings) -> None:
    async with Bardling(bot_settings) as app:
        say = speaker(app)
        history = bot_settings.console_history_file
        await say("/poem Quuxzanzibar", user="local", platform="console")
        history.write_text("\n# 2026-12-01\n+/poem Quuxzanzibar\n")
        await say("/forget", user="local", platform="console")
        assert not (await say("/forget confirm", user="local", platform="console")).error
        assert not history.exists()


async def test_the_migration_to_autoincrement_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine, "0003")
        async with engine.begin() as conn:
            for sql in (
                "INSERT INTO users VALUES (1, 'telegram', '5', 'a', '2024-01-01')",
                f"INSERT INTO generations VALUES (1, 1, 'c', 'poem', 'm', '1', '', 3, '{{}}', 'x', 0, {DAY})",
                f"INSERT INTO generations VALUES (2, 1, 'c', 'poem', 'm', '1', '', 3, '{{}}', 'y', 0, {DAY})",
                "INSERT INTO favourites VALUES (1, 1, 2, '2024-01-01')",
            ):
                await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()
    store = await Storage.open(url)
    try:
        async with store.engine.connect() as conn:
            favs = (await conn.execute(text("SELECT user_id, generation_id FROM favourites"))).all()
            gens = (await conn.execute(text("SELECT count(*) FROM generations"))).scalar()
            schema = (
                await conn.execute(text("SELECT sql FROM sqlite_master WHERE name='generations'"))
            ).scalar()
    finally:
        await store.close()
    assert favs == [(1, 2)] and gens == 2
    assert "AUTOINCREMENT" in str(schema)
