"""Hostile console input: undecodable bytes and lone surrogates cost one line, never the session."""

from __future__ import annotations

import asyncio
import io

from bot.app import Bardling
from bot.config import Settings
from bot.transports.console import ConsoleTransport
from tests.console.test_console import run_script


async def test_an_undecodable_line_is_refused_and_the_session_goes_on(
    bot_app: Bardling, bot_settings: Settings
) -> None:
    script = b"/poem Forsooth\n/help \xff\xfe\n/poem O\n"
    stdin = io.TextIOWrapper(io.BytesIO(script), encoding="utf-8", errors="strict")
    out = io.StringIO()
    console = ConsoleTransport(bot_app.core, bot_settings, stdin=stdin, stdout=out)
    await asyncio.wait_for(console.run(), 30)  # a dead reader thread would wait here forever
    text = out.getvalue()
    assert "> /poem Forsooth\nForsooth" in text  # the line before the bad one is answered
    assert "That line is not UTF-8 text (byte 6 cannot be decoded), so it was skipped." in text
    assert "> /poem O\nO" in text  # and so is the line after it


async def test_lone_surrogates_are_dropped_from_seeds_and_echoes(
    bot_app: Bardling, bot_settings: Settings
) -> None:
    out = await run_script(bot_app, bot_settings, "/poem a\udcffb\n/nosuch\ud800x\n/history\n")
    assert "\n#1 · shakespeare" in out  # generated and stored
    assert "Unknown command /nosuchx — try /help" in out
    assert "#1 /poem · shakespeare — ab" in out


async def test_a_dropped_character_leaves_no_leading_space(bot_app: Bardling, bot_settings: Settings) -> None:
    out = await run_script(bot_app, bot_settings, "/poem 🌹 O rose\n")
    verse = out.split("> /poem 🌹 O rose\n", 1)[1]
    assert not verse[0].isspace() and "O rose" in verse.splitlines()[0]  # the tiny model lacks 🌹
    assert "Ignored characters this model does not know: 🌹" in out
