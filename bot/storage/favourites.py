"""Favourites: a user's saved generations; saving twice is a no-op, never a duplicate."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from bot.storage.models import MAX_ID, Favourite, Generation, storable_id, utcnow
from bot.storage.store import Storage


async def add(storage: Storage, user_id: int, generation_id: int) -> bool:
    """Save it; ``False`` if it was already saved. One atomic statement, safe under any concurrency."""
    stmt = (
        storage.insert(Favourite)
        .values(user_id=user_id, generation_id=generation_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Favourite.user_id, Favourite.generation_id])
    )
    async with storage.atomic() as conn:
        return bool((await conn.execute(stmt)).rowcount)


async def remove(storage: Storage, user_id: int, generation_id: int) -> bool:
    if not storable_id(generation_id):
        return False
    stmt = delete(Favourite).where(Favourite.user_id == user_id, Favourite.generation_id == generation_id)
    async with storage.atomic() as conn:
        return bool((await conn.execute(stmt)).rowcount)


async def page(storage: Storage, user_id: int, *, offset: int, limit: int) -> tuple[list[Generation], int]:
    """One page of the user's favourites (newest saved first) and how many there are in all."""
    offset = min(offset, MAX_ID)  # no user has more favourites; a database refuses a huge OFFSET
    async with storage.read() as session:
        total = await session.scalar(select(func.count()).where(Favourite.user_id == user_id))
        rows = await session.scalars(
            select(Generation)
            .join(Favourite, Favourite.generation_id == Generation.id)
            .where(Favourite.user_id == user_id)
            .order_by(Favourite.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows), int(total or 0)
