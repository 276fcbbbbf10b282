"""/settings and /chat on the console: buttons show as the command lines they send, and the console's
one user is its chat's admin."""

from __future__ import annotations

import io

from bot.app import Bardling
from bot.config import Settings
from bot.transports.console import ConsoleTransport


async def test_settings_and_chat_rules_on_the_console(bot_app: Bardling, bot_settings: Settings) -> None:
    script = "/settings temperature\n/settings temperature=0.6\n/chat disable poem\n/poem Hark\n/privacy\n"
    out = io.StringIO()
    await ConsoleTransport(bot_app.core, bot_settings, stdin=io.StringIO(script), stdout=out).run()
    text = out.getvalue()
    assert "[0.6 /settings temperature=0.6]" in text
    assert "> /settings temperature=0.6\nSaved." in text and "temperature: 0.6" in text
    assert "[🚫 /chat enable=poem]" in text
    assert "> /poem Hark\n/poem is turned off in this chat." in text
    assert "until you delete it" in text
