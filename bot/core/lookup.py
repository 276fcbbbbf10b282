"""Which generations a user may act on: their own, and any shown in the chat they are writing in.

A generation shown in a group is already visible to everyone there, so anyone in it may save it
or ask for another; from anywhere else, an id only reaches the user's own generations. Nothing
else is ever revealed, not even whether an id exists.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.storage import generations
from bot.storage.models import Generation


async def reachable(ctx: Context, generation_id: int) -> Generation:
    row = await generations.get(ctx.storage, generation_id)
    if row is not None and (row.chat_id == ctx.chat_key or row.user_id == await ctx.known_user_id()):
        return row
    raise UserError(_("No generation #{id} here — see /history.", id=generation_id))


async def chosen_or_last(ctx: Context, generation_id: int | None) -> Generation:
    """The generation with this id, or the caller's most recent one."""
    if generation_id is not None:
        return await reachable(ctx, generation_id)
    user_id = await ctx.known_user_id()
    latest = [] if user_id is None else await generations.latest(ctx.storage, user_id, limit=1)
    if not latest:
        raise UserError(_("Nothing made yet — try /poem or /dinoname first."))
    return latest[0]
