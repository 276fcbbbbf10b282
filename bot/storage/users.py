"""Users: one row per (platform, platform user id), created on first use."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import User, utcnow
from bot.storage.store import Storage


async def find(storage: Storage, platform: str, platform_user_id: str) -> User | None:
    """The user, or None; a plain object (no session), as every call here is its own transaction."""
    stmt = select(User.id, User.name).where(
        User.platform == platform, User.platform_user_id == platform_user_id
    )
    async with storage.atomic() as conn:
        row = (await conn.execute(stmt)).first()
    return (
        None
        if row is None
        else User(id=row.id, platform=platform, platform_user_id=platform_user_id, name=row.name)
    )


async def ensure(storage: Storage, platform: str, platform_user_id: str, name: str) -> int:
    """The user's id, creating the row (or refreshing the display name) in one atomic upsert."""
    existing = await find(storage, platform, platform_user_id)
    if existing is not None and existing.name == name:
        return existing.id
    stmt = storage.insert(User).values(
        platform=platform, platform_user_id=platform_user_id, name=name, created_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[User.platform, User.platform_user_id], set_={"name": stmt.excluded.name}
    )
    async with storage.atomic() as conn:
        await conn.execute(stmt)
    created = await find(storage, platform, platform_user_id)
    if created is None:  # deleted (/forget) between the two statements
        raise LookupError("user vanished while being created")
    return created.id
