"""``bardling chat`` and ``bardling run``: the bot with its transports, in one process.

Several transports share one engine, one database and one command core. SIGINT and SIGTERM stop
the transports, then close the engine and the database, so nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from enum import StrEnum
from typing import Annotated, Any, Protocol

import typer

from bot.cli.settings_loader import load_settings
from bot.config import Settings
from bot.observability.logs import configure_logging, one_line, redact, secrets_of
from bot.storage import StorageError

log = logging.getLogger(__name__)


class TransportName(StrEnum):
    console = "console"
    telegram = "telegram"
    discord = "discord"


class StartError(RuntimeError):
    """A transport could not start (network down, token refused): one line for the operator."""


class Transport(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


TOKEN_HELP = {
    TransportName.telegram: "BARDLING_TELEGRAM_TOKEN is not set (get a bot token from @BotFather).",
    TransportName.discord: "BARDLING_DISCORD_TOKEN is not set (a Discord application's bot token).",
}


def missing_token(settings: Settings, names: list[TransportName]) -> str | None:
    tokens = {TransportName.telegram: settings.telegram_token, TransportName.discord: settings.discord_token}
    for name in names:
        token = tokens.get(name)
        if name in TOKEN_HELP and (token is None or not token.get_secret_value().strip()):
            return TOKEN_HELP[name]
    return None


def _build(name: TransportName, core: Any, settings: Settings, admin: bool) -> Transport:
    if name is TransportName.console:
        from bot.transports.console import ConsoleTransport

        return ConsoleTransport(core, settings, admin=admin)
    if name is TransportName.telegram:
        from bot.transports.telegram import TelegramTransport

        return TelegramTransport(core, settings)
    from bot.transports.discord import DiscordTransport

    return DiscordTransport(core, settings)


async def serve(settings: Settings, names: list[TransportName], *, admin: bool = False) -> None:
    """Run until SIGINT/SIGTERM; the console alone also ends when its user quits or input ends."""
    from bot.app import Bardling
    from bot.observability.server import serving

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with Bardling(settings) as app, serving(app, settings.metrics_listen, settings.metrics_port):
            transports = [_build(n, app.core, settings, admin) for n in dict.fromkeys(names)]
            started: list[Transport] = []
            try:
                for name, transport in zip(dict.fromkeys(names), transports, strict=True):
                    await _start(name, transport)
                    started.append(transport)
                await _until_done(started, stop)
            finally:
                for transport in reversed(started):
                    try:
                        await transport.stop()
                    except Exception:
                        log.exception("stopping %s failed", type(transport).__name__)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _start(name: TransportName, transport: Transport) -> None:
    try:
        await transport.start()
    except Exception as err:
        from bot.transports.discord import DiscordStartError
        from bot.transports.telegram import TelegramStartError

        log.debug("starting %s failed", name, exc_info=True)  # the traceback, for those who ask for it
        ours = isinstance(err, TelegramStartError | DiscordStartError)  # already worded for operators
        raise StartError(f"{name} could not start: {str(err) if ours else one_line(err)}") from err


async def _until_done(started: list[Transport], stop: asyncio.Event) -> None:
    """A signal ends every run; the console, when it runs alone, also ends with its input."""
    from bot.transports.console import ConsoleTransport

    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
    consoles = [t for t in started if isinstance(t, ConsoleTransport)]
    if len(consoles) == len(started):
        waits += [asyncio.ensure_future(c.wait()) for c in consoles]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


def _run(settings: Settings, names: list[TransportName], admin: bool, log_level: str) -> None:
    problem = missing_token(settings, names)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    configure_logging(log_level, settings.log_format, secrets_of(settings))
    try:
        asyncio.run(serve(settings, names, admin=admin))
    except (StartError, StorageError) as err:  # platform unreachable, database damaged: one line
        typer.echo(redact(str(err), secrets_of(settings)), err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add ``chat`` and ``run``."""

    @app.command()
    def chat(
        admin: Annotated[bool, typer.Option("--admin", help="Act as the admin console:local.")] = False,
    ) -> None:
        """Talk to the bot here: a line editor at a terminal; one command per line from a pipe."""
        _run(load_settings(), [TransportName.console], admin, "WARNING")

    @app.command()
    def run(
        transport: Annotated[
            list[TransportName] | None,
            typer.Option(
                "--transport", "-t", help="console (default), telegram or discord; repeat for several."
            ),
        ] = None,
        admin: Annotated[
            bool, typer.Option("--admin", help="The console acts as the admin console:local.")
        ] = False,
    ) -> None:
        """Serve the bot on one or more transports until SIGINT or SIGTERM."""
        settings = load_settings()
        _run(settings, transport or [TransportName.console], admin, settings.log_level)
