"""Generations: every text the bot made, with everything that reproduces it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from bot.storage.models import Generation, storable_id, utcnow
from bot.storage.store import Storage


async def add(
    storage: Storage,
    *,
    user_id: int,
    chat_id: str,
    command: str,
    model: str,
    model_version: str,
    seed_text: str,
    rng_seed: int,
    params: dict[str, Any],
    text: str,
    latency_s: float,
) -> Generation:
    values = dict(
        user_id=user_id,
        chat_id=chat_id,
        command=command,
        model=model,
        model_version=model_version,
        seed_text=seed_text,
        rng_seed=rng_seed,
        params=params,
        text=text,
        latency_s=latency_s,
        created_at=utcnow(),
    )
    async with storage.atomic() as conn:  # a Core insert: the ORM's unit of work costs more here
        key = (await conn.execute(insert(Generation).values(values))).inserted_primary_key
    assert key is not None  # a single-row insert always has one
    return Generation(id=key[0], **values)


async def get(storage: Storage, generation_id: int) -> Generation | None:
    if not storable_id(generation_id):
        return None
    async with storage.read() as session:
        return await session.get(Generation, generation_id)


async def latest(storage: Storage, user_id: int, *, limit: int = 10) -> list[Generation]:
    """The user's newest generations first."""
    async with storage.read() as session:
        rows = await session.scalars(
            select(Generation)
            .where(Generation.user_id == user_id)
            .order_by(Generation.id.desc())
            .limit(limit)
        )
        return list(rows)
