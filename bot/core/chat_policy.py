"""What a chat's rules (``/chat``) refuse, decided before anything is spent.

A refusal comes before the rate limit, the engine and any row is written, so it costs the caller
nothing. ``/chat`` itself stays open (so its admins can always undo), and so do ``/privacy`` and
``/forget``: what is stored about a person, and deleting it, is never up to a chat's rules.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.i18n import N_, _
from bot.storage import chat_rules
from bot.storage.chat_rules import Rules

if TYPE_CHECKING:
    from bot.core.context import Context

CHAT_COMMAND = "chat"
ALWAYS_OPEN = frozenset({CHAT_COMMAND, "privacy", "forget"})
MAX_COOLDOWN_S = 3600
ADMINS_ONLY = N_("Here only the chat's admins may use Bardling.")


async def layers(ctx: Context) -> tuple[Rules, Rules]:
    """The rules set for this chat, and for its server (NONE where it has none)."""
    if not ctx.server_key:
        return await chat_rules.get(ctx.storage, ctx.chat_key), chat_rules.NONE
    here, server = await chat_rules.layers(ctx.storage, ctx.chat_key, ctx.server_key)
    return here, server


async def effective_rules(ctx: Context) -> Rules:
    """What holds in this chat: its own rules, then its server's, field by field, then the defaults."""
    here, server = await layers(ctx)
    return here.over(server).over(chat_rules.DEFAULTS)


def refusal(rules: Rules, command: str, *, chat_admin: bool) -> str | None:
    """Why ``command`` may not run in this chat, or None."""
    if command in ALWAYS_OPEN:
        return None
    if rules.admins_only and not chat_admin:
        return _(ADMINS_ONLY)
    if command in (rules.disabled or ()):
        return _("/{command} is turned off in this chat.", command=command)
    return None


def cooldown_message(cooldown_s: int, wait_s: float) -> str:
    wait = max(1, math.ceil(wait_s))
    return _("This chat has a {cooldown} s cooldown — try again in {wait} s.", cooldown=cooldown_s, wait=wait)


class Cooldowns:
    """When each chat last generated (this process): ``wait`` tells, ``mark`` records."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, prune_above: int = 10_000) -> None:
        self._clock = clock
        self._prune_above = prune_above
        self._last: dict[str, float] = {}

    def wait(self, chat_key: str, cooldown_s: int) -> float:
        """Seconds until the chat may generate again (0: now)."""
        last = self._last.get(chat_key)
        return 0.0 if last is None else max(0.0, last + cooldown_s - self._clock())

    def mark(self, chat_key: str) -> None:
        now = self._clock()
        if len(self._last) >= self._prune_above:  # entries older than any cooldown say nothing
            self._last = {k: t for k, t in self._last.items() if now - t < MAX_COOLDOWN_S}
        self._last[chat_key] = now

    def give_back(self, chat_key: str) -> None:
        """Forget the last ``mark`` (its generation failed). A mark is only made once the chat's
        cooldown has passed, so forgetting it leaves the chat as free as before."""
        self._last.pop(chat_key, None)
