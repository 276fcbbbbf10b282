"""The console speaks ``BARDLING_LOCALE``, else the terminal's ``LANG``; English for any other."""

from __future__ import annotations

import io

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.transports.console import ConsoleTransport


async def chat(app: Bardling, settings: Settings, script: str) -> str:
    out = io.StringIO()
    await ConsoleTransport(app.core, settings, stdin=io.StringIO(script), stdout=out).run()
    return out.getvalue()


async def test_the_console_answers_in_the_language_it_is_set_to(
    bot_app: Bardling, bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    chinese = await chat(bot_app, bot_settings.model_copy(update={"locale": "zh"}), "/help\n/replay\n")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    from_lang = await chat(bot_app, bot_settings.model_copy(update={"locale": ""}), "/help\n")
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    french = await chat(bot_app, bot_settings.model_copy(update={"locale": ""}), "/help\n")
    assert "> /help\n命令：" in chinese and "> /replay\n用法：/replay <id>" in chinese
    assert "> /help\n命令：" in from_lang
    assert "> /help\nCommands:" in french  # no catalogue: English
