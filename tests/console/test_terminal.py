"""The console at a terminal: Tab completes commands, options and models; Ctrl-C clears; Ctrl-D leaves."""

from __future__ import annotations

import asyncio
import io

from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bot.app import Bardling
from bot.config import Settings
from bot.transports.console import ConsoleTransport
from bot.transports.console_complete import CommandCompleter


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _completions(app: Bardling, line: str, *, admin: bool = False) -> list[str]:
    completer = CommandCompleter(lambda: app.core.commands(admin=admin), app.core.model_names)
    document = Document(line)
    return [
        document.text[: len(line) + c.start_position] + c.text
        for c in completer.get_completions(document, CompleteEvent(completion_requested=True))
    ]


async def test_tab_completes_commands_then_options_then_model_names(bot_app: Bardling) -> None:
    assert _completions(bot_app, "/fa") == ["/fav", "/favs"]
    assert "/quit" in _completions(bot_app, "/") and "/retrain" not in _completions(bot_app, "/")
    assert "/retrain" in _completions(bot_app, "/re", admin=True)
    assert _completions(bot_app, "/poem O rose te") == ["/poem O rose temperature:"]
    assert "/poem length:9 length:" not in _completions(bot_app, "/poem length:9 ")  # given once
    assert _completions(bot_app, "/poem O model:s") == ["/poem O model:shakespeare"]
    assert _completions(bot_app, "poem") == [] and _completions(bot_app, "/nosuch x") == []


async def test_ctrl_c_clears_the_line_and_ctrl_d_leaves(bot_app: Bardling, bot_settings: Settings) -> None:
    out = _Terminal()
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        console = ConsoleTransport(bot_app.core, bot_settings, stdin=_Terminal(), stdout=out)
        session = asyncio.create_task(console.run())
        keys.send_text("/poem Forsooth\x03")  # typed, then abandoned with Ctrl-C
        keys.send_text("/hel\t")  # Tab completes /help (the completion runs on the event loop) ...
        await asyncio.sleep(0.5)
        keys.send_text("\r")  # ... before Enter sends it
        keys.send_text("\x04")  # Ctrl-D on the empty line
        await asyncio.wait_for(session, timeout=20)
    printed = out.getvalue()
    assert "/poem" in printed and "/dinoname" in printed  # /help answered
    assert "#1 ·" not in printed  # the abandoned line was never run
