"""A user's own /poem defaults (``/settings``), as the commands that apply them read them."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.storage import preferences


async def of(ctx: Context) -> dict[str, Any]:
    """What the caller has set (empty for someone Bardling does not know: nothing is created)."""
    user_id = await ctx.known_user_id()
    return {} if user_id is None else await preferences.get(ctx.storage, user_id)
