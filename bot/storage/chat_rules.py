"""What a chat's admins allow there (``/chat``), one row per chat (or per server, whose rules every
channel of it inherits field by field); no row means nothing set there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, select

from bot.storage.models import ChatRule, utcnow
from bot.storage.store import Storage


@dataclass(frozen=True)
class Rules:
    """One layer of rules (a chat's or a server's); None: not set in this layer, so inherited."""

    disabled: frozenset[str] | None = None  # command names turned off here
    admins_only: bool | None = None  # only the chat's admins may use the bot here
    cooldown_s: int | None = None  # seconds between generations in this chat, whoever asks; 0: none

    def over(self, under: Rules) -> Rules:
        """These rules, with what they leave unset taken from ``under``."""
        mine, theirs = (tuple(getattr(r, f.name) for f in fields(Rules)) for r in (self, under))
        return Rules(*(m if m is not None else t for m, t in zip(mine, theirs, strict=True)))


NONE = Rules()
DEFAULTS = Rules(frozenset(), admins_only=False, cooldown_s=0)  # what holds where nothing is set


def _rules(row: Any) -> Rules:
    if row is None:
        return NONE
    disabled = None if row.disabled is None else frozenset(row.disabled)
    return Rules(disabled, row.admins_only, row.cooldown_s)


async def get(storage: Storage, chat_key: str) -> Rules:
    return (await layers(storage, chat_key))[0]


async def layers(storage: Storage, *keys: str) -> list[Rules]:
    """The rules set at each key (a chat's, its server's), in one read."""
    stmt = select(ChatRule.chat_key, ChatRule.disabled, ChatRule.admins_only, ChatRule.cooldown_s).where(
        ChatRule.chat_key.in_(keys)
    )
    async with storage.atomic() as conn:
        rows = {row.chat_key: row for row in await conn.execute(stmt)}
    return [_rules(rows.get(key)) for key in keys]


async def change(storage: Storage, chat_key: str, edit: Callable[[Rules], Rules]) -> Rules:
    """Apply ``edit`` to the rules set at ``chat_key`` in one write transaction (the row locked while
    it runs); nothing left set leaves no row. Returns the new rules."""
    async with storage.write() as session:
        row = await session.scalar(select(ChatRule).where(ChatRule.chat_key == chat_key).with_for_update())
        new = edit(_rules(row))
        disabled = None if new.disabled is None else sorted(new.disabled)
        if new == NONE:
            await session.execute(delete(ChatRule).where(ChatRule.chat_key == chat_key))
        elif row is None:
            session.add(
                ChatRule(
                    chat_key=chat_key,
                    disabled=disabled,
                    admins_only=new.admins_only,
                    cooldown_s=new.cooldown_s,
                    updated_at=utcnow(),
                )
            )
        else:
            row.disabled, row.admins_only, row.cooldown_s = disabled, new.admins_only, new.cooldown_s
    return new
