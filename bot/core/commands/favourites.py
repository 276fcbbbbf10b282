"""/fav, /favs, /unfav: a user's saved generations."""

from __future__ import annotations

import math

from bot.core.args import Args
from bot.core.commands.params import ID, ID_REQUIRED, PAGE
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.lookup import chosen_or_last
from bot.core.registry import Commands
from bot.core.text import plural, snippet
from bot.core.types import CommandSpec, Reply
from bot.storage import favourites

PAGE_SIZE = 5


COMMANDS = Commands()


@COMMANDS.command(CommandSpec("fav", "Save your last (or a given) generation", [ID]))
async def fav(ctx: Context, args: Args) -> Reply:
    row = await chosen_or_last(ctx, args.integer("id"))
    if await favourites.add(ctx.storage, await ctx.user_id(), row.id):
        return Reply(_("⭐ Saved #{id} to your favourites.", id=row.id))
    return Reply(_("#{id} is already in your favourites.", id=row.id))


@COMMANDS.command(CommandSpec("favs", "List your favourites", [PAGE], private=True))
async def favs(ctx: Context, args: Args) -> Reply:
    page = args.integer("page") or 1
    user_id = await ctx.known_user_id()
    rows, total = (
        ([], 0)
        if user_id is None
        else await favourites.page(ctx.storage, user_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    )
    if total == 0:
        return Reply(_("No favourites yet — press ⭐ Save under a poem, or send /fav."))
    pages = math.ceil(total / PAGE_SIZE)
    if not rows:
        raise UserError(f"You have {plural(pages, 'page')} of favourites — try /favs {pages}.")
    lines = [_("Your favourites, page {page} of {pages}:", page=page, pages=pages), ""]
    for row in rows:
        lines.append(f"#{row.id} · {row.model} — {snippet(row.text)}")
    if page < pages:
        lines += ["", _("More: /favs {page}", page=page + 1)]
    return Reply("\n".join(lines))


@COMMANDS.command(CommandSpec("unfav", "Remove a favourite", [ID_REQUIRED]))
async def unfav(ctx: Context, args: Args) -> Reply:
    generation_id = args.integer("id")
    user_id = await ctx.known_user_id()
    if user_id is not None and generation_id and await favourites.remove(ctx.storage, user_id, generation_id):
        return Reply(_("Removed #{id} from your favourites.", id=generation_id))
    raise UserError(_("#{id} is not in your favourites — see /favs.", id=generation_id))


register = COMMANDS.register
