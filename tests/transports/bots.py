"""Running the real bot (tiny models, SQLite in a temporary directory) behind a fake platform server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import Bardling
from bot.config import Settings
from bot.core.args import Args
from bot.core.context import Context
from bot.core.core import CommandCore
from bot.core.registry import Command
from bot.core.types import CommandSpec, Invocation, ParamSpec, Reply
from bot.transports.discord import DiscordTransport
from bot.transports.telegram import TelegramTransport

TELEGRAM_ADMIN = 900
DISCORD_ADMIN = 1_900
SLOW_S = 1.2
LONG_TEXT = "\n".join(
    f"line {i:04d} " + " ".join(["word"] * 20) for i in range(100)
)  # about 11,000 characters
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def _secret(ctx: Context, args: Args) -> Reply:
    return Reply("the admin secret")


async def _slow(ctx: Context, args: Args) -> Reply:
    await asyncio.sleep(SLOW_S)
    if args.text("fail"):
        return Reply("slow and failed", error=True)
    return Reply("done slowly")


async def _long(ctx: Context, args: Args) -> Reply:
    return Reply(LONG_TEXT)


def write_png(directory: Path, name: str = "picture.png") -> Path:
    path = directory / name
    path.write_bytes(PNG)
    return path


def letters(number: int) -> str:
    """Text the tiny verse model knows (letters only) that tells users apart."""
    return "".join("abcdefghij"[int(d)] for d in str(number))


async def _picture(ctx: Context, args: Args) -> Reply:
    return Reply("a picture", image=write_png(ctx.settings.data_dir))


async def _upload(ctx: Context, args: Args) -> Reply:
    if ctx.inv.attachment is None:
        return Reply("no file", error=True)
    return Reply(f"got {ctx.inv.attachment.name}: {ctx.inv.attachment.read_text(encoding='utf-8')}")


def add_test_commands(core: CommandCore) -> None:
    """Commands the real core lacks but transports must carry: admin-only, slow, long, image, upload."""
    core.registry.add(Command(CommandSpec("secret", "Admins only", admin_only=True), _secret))
    core.registry.add(
        Command(CommandSpec("slow", "Takes a while", [ParamSpec("fail", "Fail at the end")]), _slow)
    )
    core.registry.add(Command(CommandSpec("long", "A long text"), _long))
    core.registry.add(Command(CommandSpec("picture", "An image"), _picture))
    core.registry.add(
        Command(
            CommandSpec("upload", "Reads the attached file", file="A text file"),
            _upload,
        )
    )


@asynccontextmanager
async def telegram_bot(
    settings: Settings, **options: Any
) -> AsyncIterator[tuple[Bardling, TelegramTransport]]:
    async with Bardling(settings) as app:
        add_test_commands(app.core)
        transport = TelegramTransport(app.core, settings, **options)
        await transport.start()
        try:
            yield app, transport
        finally:
            await transport.stop()


@asynccontextmanager
async def discord_bot(settings: Settings, **options: Any) -> AsyncIterator[tuple[Bardling, DiscordTransport]]:
    async with Bardling(settings) as app:
        add_test_commands(app.core)
        transport = DiscordTransport(app.core, settings, **options)
        await transport.start()
        try:
            yield app, transport
        finally:
            await transport.stop()


async def ask(app: Bardling, platform: str, user_id: int, command: str, args: str = "") -> Reply:
    """Ask the core directly, as the user: how tests check what a transport stored."""
    return await app.core.handle(Invocation(platform, str(user_id), "tester", str(user_id), command, args))
