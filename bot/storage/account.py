"""What a user owns as a whole: counting it, confirming its deletion, deleting it (``/forget``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from bot.storage.models import Confirmation, Favourite, Generation, TrainingJob, User
from bot.storage.store import Storage


@dataclass(frozen=True)
class Holdings:
    generations: int
    favourites: int
    saved_by_others: int = 0  # other users' favourites of this user's generations: they go too


async def holdings(storage: Storage, user_id: int) -> Holdings:
    async with storage.read() as session:
        gens = await session.scalar(select(func.count()).where(Generation.user_id == user_id))
        favs = await session.scalar(select(func.count()).where(Favourite.user_id == user_id))
        shared = await session.scalar(
            select(func.count())
            .select_from(Favourite)
            .join(Generation, Generation.id == Favourite.generation_id)
            .where(Generation.user_id == user_id, Favourite.user_id != user_id)
        )
    return Holdings(int(gens or 0), int(favs or 0), int(shared or 0))


async def request_confirmation(storage: Storage, user_id: int, action: str, expires_at: datetime) -> None:
    stmt = storage.insert(Confirmation).values(user_id=user_id, action=action, expires_at=expires_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Confirmation.user_id, Confirmation.action],
        set_={"expires_at": stmt.excluded.expires_at},
    )
    async with storage.atomic() as conn:
        await conn.execute(stmt)


async def consume_confirmation(storage: Storage, user_id: int, action: str, now: datetime) -> bool:
    """Whether an unexpired request was pending; it is used up (one atomic statement: only once)."""
    stmt = delete(Confirmation).where(
        Confirmation.user_id == user_id, Confirmation.action == action, Confirmation.expires_at > now
    )
    async with storage.atomic() as conn:
        return bool((await conn.execute(stmt)).rowcount)


async def forget(storage: Storage, user_id: int) -> Holdings:
    """Delete the user and everything of theirs (cascade); their past training jobs are anonymised."""
    async with storage.write() as session:
        user = await session.get(User, user_id)
        if user is None:
            return Holdings(0, 0)
        gens = await session.scalar(select(func.count()).where(Generation.user_id == user_id))
        favs = await session.scalar(select(func.count()).where(Favourite.user_id == user_id))
        key = f"{user.platform}:{user.platform_user_id}"
        await session.execute(
            update(TrainingJob)
            .where(TrainingJob.requested_by == key)
            .values(requested_by=None, notify_platform=None, notify_chat_id=None)
        )
        await session.execute(delete(User).where(User.id == user_id))
    await _checkpoint(storage)
    return Holdings(int(gens or 0), int(favs or 0))


async def _checkpoint(storage: Storage) -> None:
    """On SQLite, move the write-ahead log into the database and empty it: the deleted text would
    otherwise stay in the log file, readable, until SQLite next checkpoints it by itself."""
    if storage.dialect == "sqlite":
        async with storage.atomic() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
