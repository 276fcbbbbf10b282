"""/history, /show, /forget: what the bot keeps about a user, and deleting all of it."""

from __future__ import annotations

from datetime import timedelta

from bot.core.args import Args
from bot.core.commands.params import ID_REQUIRED
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.generation import footer, show
from bot.core.i18n import _, _n
from bot.core.lookup import reachable
from bot.core.registry import Commands
from bot.core.text import snippet
from bot.core.types import CommandSpec, ParamSpec, Reply
from bot.storage import account, generations
from bot.storage.models import utcnow

HISTORY_SIZE = 10
FORGET = "forget"


COMMANDS = Commands()


@COMMANDS.command(CommandSpec("history", "Your recent generations", private=True))
async def history(ctx: Context, args: Args) -> Reply:
    user_id = await ctx.known_user_id()
    rows = [] if user_id is None else await generations.latest(ctx.storage, user_id, limit=HISTORY_SIZE)
    if not rows:
        return Reply(_("Nothing made yet — try /poem or /dinoname."))
    lines = [_n("Your last {n} generation:", "Your last {n} generations:", len(rows)), ""]
    lines += [f"#{r.id} /{r.command} · {r.model} — {snippet(r.text)}" for r in rows]
    lines += ["", _("See one in full: /show <id>")]
    return Reply("\n".join(lines))


@COMMANDS.command(CommandSpec("show", "Show a generation in full", [ID_REQUIRED]))
async def show_one(ctx: Context, args: Args) -> Reply:
    generation_id = args.integer("id")
    assert generation_id is not None  # required parameter
    row = await reachable(ctx, generation_id)
    return show(row.id, row.text, footer(row))


@COMMANDS.command(
    CommandSpec(
        "forget",
        "Delete everything Bardling stores about you (asks first)",
        [ParamSpec("confirm", "Type “confirm” to go ahead")],
    )
)
async def forget(ctx: Context, args: Args) -> Reply:
    word = args.text("confirm").strip().lower()
    if word not in ("", "confirm"):
        raise UserError(_("Usage: /forget, then /forget confirm"))
    user_id = await ctx.known_user_id()
    minutes = ctx.settings.forget_confirm_minutes
    if user_id is None:
        return Reply(_("Bardling stores nothing about you."))
    if not word:
        held = await account.holdings(ctx.storage, user_id)
        await account.request_confirmation(
            ctx.storage, user_id, FORGET, utcnow() + timedelta(minutes=minutes)
        )
        shared = (
            _n(
                " {n} favourite other people saved of your generations will go from their lists too.",
                " {n} favourites other people saved of your generations will go from their lists too.",
                held.saved_by_others,
            )
            if held.saved_by_others
            else ""
        )
        return Reply(
            _(
                "This deletes everything Bardling stores about you: {generations} and {favourites}.{shared}"
                " To go ahead, send /forget confirm within {minutes}.",
                generations=_generations(held.generations),
                favourites=_favourites(held.favourites),
                shared=shared,
                minutes=_n("{n} minute", "{n} minutes", minutes),
            )
        )
    if not await account.consume_confirmation(ctx.storage, user_id, FORGET, utcnow()):
        raise UserError(
            _(
                "Nothing to confirm — send /forget first, then /forget confirm within {minutes} min.",
                minutes=minutes,
            )
        )
    gone = await account.forget(ctx.storage, user_id)
    if ctx.inv.platform == "console":  # what was typed at this console, kept for arrow-up, goes too
        ctx.settings.console_history_file.unlink(missing_ok=True)
    return Reply(
        _(
            "Done: deleted {generations} and {favourites}. Bardling no longer knows you.",
            generations=_generations(gone.generations),
            favourites=_favourites(gone.favourites),
        )
    )


def _generations(n: int) -> str:
    return _n("{n} generation", "{n} generations", n)


def _favourites(n: int) -> str:
    return _n("{n} favourite", "{n} favourites", n)


register = COMMANDS.register
