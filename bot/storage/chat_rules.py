"""What a chat's admins allow there (``/chat``), one row per chat; no row means no restriction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select

from bot.storage.models import ChatRule, utcnow
from bot.storage.store import Storage


@dataclass(frozen=True)
class Rules:
    disabled: frozenset[str] = frozenset()  # command names turned off here
    admins_only: bool = False  # only the chat's admins may use the bot here
    cooldown_s: int = 0  # seconds between generations in this chat, whoever asks; 0: none


NONE = Rules()


async def get(storage: Storage, chat_key: str) -> Rules:
    stmt = select(ChatRule.disabled, ChatRule.admins_only, ChatRule.cooldown_s).where(
        ChatRule.chat_key == chat_key
    )
    async with storage.atomic() as conn:
        row = (await conn.execute(stmt)).first()
    return (
        NONE if row is None else Rules(frozenset(row.disabled or ()), bool(row.admins_only), row.cooldown_s)
    )


async def change(storage: Storage, chat_key: str, edit: Callable[[Rules], Rules]) -> Rules:
    """Apply ``edit`` to the chat's rules in one write transaction (the row locked while it runs);
    rules back at the defaults leave no row. Returns the new rules."""
    async with storage.write() as session:
        row = await session.scalar(select(ChatRule).where(ChatRule.chat_key == chat_key).with_for_update())
        old = NONE if row is None else Rules(frozenset(row.disabled or ()), row.admins_only, row.cooldown_s)
        new = edit(old)
        if new == NONE:
            await session.execute(delete(ChatRule).where(ChatRule.chat_key == chat_key))
        elif row is None:
            session.add(
                ChatRule(
                    chat_key=chat_key,
                    disabled=sorted(new.disabled),
                    admins_only=new.admins_only,
                    cooldown_s=new.cooldown_s,
                    updated_at=utcnow(),
                )
            )
        else:
            row.disabled, row.admins_only, row.cooldown_s = (
                sorted(new.disabled),
                new.admins_only,
                new.cooldown_s,
            )
    return new
