"""/fav, /favs, /unfav: a user's saved generations."""

from __future__ import annotations

import math

from bot.core.args import Args
from bot.core.commands.params import ID, ID_REQUIRED, PAGE
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.lookup import chosen_or_last
from bot.core.registry import Command, Registry
from bot.core.text import plural, snippet
from bot.core.types import CommandSpec, Reply
from bot.storage import favourites

PAGE_SIZE = 5


async def fav(ctx: Context, args: Args) -> Reply:
    row = await chosen_or_last(ctx, args.integer("id"))
    if await favourites.add(ctx.storage, await ctx.user_id(), row.id):
        return Reply(f"⭐ Saved #{row.id} to your favourites.")
    return Reply(f"#{row.id} is already in your favourites.")


async def unfav(ctx: Context, args: Args) -> Reply:
    generation_id = args.integer("id")
    user_id = await ctx.known_user_id()
    if user_id is not None and generation_id and await favourites.remove(ctx.storage, user_id, generation_id):
        return Reply(f"Removed #{generation_id} from your favourites.")
    raise UserError(f"#{generation_id} is not in your favourites — see /favs.")


async def favs(ctx: Context, args: Args) -> Reply:
    page = args.integer("page") or 1
    user_id = await ctx.known_user_id()
    rows, total = (
        ([], 0)
        if user_id is None
        else await favourites.page(ctx.storage, user_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    )
    if total == 0:
        return Reply("No favourites yet — press ⭐ Save under a poem, or send /fav.")
    pages = math.ceil(total / PAGE_SIZE)
    if not rows:
        raise UserError(f"You have {plural(pages, 'page')} of favourites — try /favs {pages}.")
    lines = [f"Your favourites, page {page} of {pages}:", ""]
    for row in rows:
        lines.append(f"#{row.id} · {row.model} — {snippet(row.text)}")
    if page < pages:
        lines += ["", f"More: /favs {page + 1}"]
    return Reply("\n".join(lines))


def register(registry: Registry) -> None:
    registry.add(Command(CommandSpec("fav", "Save your last (or a given) generation", [ID]), fav))
    registry.add(Command(CommandSpec("favs", "List your favourites", [PAGE]), favs))
    registry.add(Command(CommandSpec("unfav", "Remove a favourite", [ID_REQUIRED]), unfav))
