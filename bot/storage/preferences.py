"""A user's own defaults for /poem (``/settings``): one row per user, a NULL column is unset.

The row belongs to the user, so ``/forget`` (deleting the user) removes it by cascade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from bot.storage.models import Preferences, utcnow
from bot.storage.store import Storage

FIELDS = ("model", "form", "temperature", "length")


async def get(storage: Storage, user_id: int) -> dict[str, Any]:
    """The values the user has set (unset ones are absent)."""
    stmt = select(*(getattr(Preferences, f) for f in FIELDS)).where(Preferences.user_id == user_id)
    async with storage.atomic() as conn:
        row = (await conn.execute(stmt)).first()
    return {} if row is None else {f: v for f, v in zip(FIELDS, row, strict=True) if v is not None}


async def change(storage: Storage, user_id: int, values: Mapping[str, Any]) -> None:
    """Set the named values (None unsets one); the others stay. One atomic upsert."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown preferences: {sorted(unknown)}")
    now = utcnow()
    stmt = storage.insert(Preferences).values(user_id=user_id, updated_at=now, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Preferences.user_id], set_={**values, "updated_at": now}
    )
    async with storage.atomic() as conn:
        await conn.execute(stmt)


async def clear(storage: Storage, user_id: int) -> bool:
    """Unset everything; ``False`` if nothing was set."""
    async with storage.atomic() as conn:
        return bool((await conn.execute(delete(Preferences).where(Preferences.user_id == user_id))).rowcount)
