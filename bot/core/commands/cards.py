"""/card: a stored generation drawn as a PNG card to share (the 🖼 button under every text).

The card is rendered in a worker thread (Pillow blocks) into ``<data dir>/cards/<id>.png``; the
transport sends it as a photo (Telegram), an attachment (Discord) or shows its path (console).
Card files are a cache, not a record: each render removes cards older than ``CARD_TTL_S``, so a
forgotten generation's card does not outlive it by long.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from bot.cards.render import render_card
from bot.core.args import Args
from bot.core.commands.params import ID
from bot.core.context import Context
from bot.core.generation import footer
from bot.core.lookup import chosen_or_last
from bot.core.registry import Commands
from bot.core.types import CommandSpec, Reply

CARD_TTL_S = 3600.0


def card_dir(ctx: Context) -> Path:
    return ctx.settings.data_dir / "cards"


def _prune(directory: Path, older_than: float) -> None:
    if not directory.is_dir():
        return
    for path in directory.glob("*.png"):
        with contextlib.suppress(OSError):  # another process may have removed it first
            if path.stat().st_mtime < older_than:
                path.unlink()


def _draw(text: str, caption: str, target: Path) -> Path:
    _prune(target.parent, time.time() - CARD_TTL_S)
    return render_card(text, caption, target)


COMMANDS = Commands()


@COMMANDS.command(CommandSpec("card", "Your last (or a given) poem as a picture to share", [ID]))
async def card(ctx: Context, args: Args) -> Reply:
    row = await chosen_or_last(ctx, args.integer("id"))
    caption = footer(row)
    path = await asyncio.to_thread(_draw, row.text, caption, card_dir(ctx) / f"{row.id}.png")
    return Reply(caption, image=path)


register = COMMANDS.register
