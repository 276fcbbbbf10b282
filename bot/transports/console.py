"""The console transport: ``bardling chat`` — the same commands as on Telegram and Discord, locally.

At a terminal it is a line editor with history (prompt_toolkit; history kept in the data dir), Tab
completion of commands, options and model names; Ctrl-C clears the line and Ctrl-D leaves.
With standard input from a pipe or file it reads one command per line, echoes it, answers, and
exits at end of input, so sessions can be scripted. Buttons show as the commands they stand for:
``[⭐ /fav 12] [🔁 /again 12]``. The console user is ``console:local``; ``/admin on|off`` switches
admin rights for this session only, and ``/quit`` ends it.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

from bot.config import Settings
from bot.core.args import split_command
from bot.core.core import CommandCore
from bot.core.types import Invocation, Notice, Reply

PLATFORM = "console"
USER_ID = "local"
PROMPT = "bardling> "


def render(reply: Reply) -> str:
    lines = [reply.text]
    if reply.buttons:
        lines.append(" ".join(f"[{b.label.split()[0]} /{b.command} {b.arg}]" for b in reply.buttons))
    if reply.image is not None:
        lines.append(f"(image: {reply.image})")
    return "\n".join(lines)


class ConsoleTransport:
    def __init__(
        self,
        core: CommandCore,
        settings: Settings,
        *,
        admin: bool = False,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.core = core
        self.settings = settings
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.user_key = f"{PLATFORM}:{USER_ID}"
        self._user_name = _login_name()
        self._locale = console_locale(settings)
        self._task: asyncio.Task[None] | None = None
        if admin:
            core.set_admin(self.user_key, True)

    @property
    def interactive(self) -> bool:
        return self.stdin.isatty() and self.stdout.isatty()

    # ----------------------------------------------------------------- lifecycle (bardling run)
    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="console")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait(self) -> None:
        """Until the user quits or input ends."""
        if self._task is not None:
            await asyncio.shield(self._task)

    # ----------------------------------------------------------------- the session
    async def run(self) -> None:
        self.core.register_notifier(PLATFORM, self)
        if self.interactive:
            await self._run_terminal()
        else:
            await self._run_script()

    async def _run_script(self) -> None:
        lines: asyncio.Queue[str | UnicodeDecodeError | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:  # a daemon thread, so a blocked read never delays shutdown
            try:
                for line in _read_lines(self.stdin):
                    loop.call_soon_threadsafe(lines.put_nowait, line)
            finally:  # whatever happens to the input, the session ends instead of waiting forever
                loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        while (line := await lines.get()) is not None:
            if isinstance(line, UnicodeDecodeError):
                self._print(undecodable(line) + "\n")
                continue
            if line.strip():
                self._print(f"> {line}")
            if not await self.handle_line(line):
                return

    async def _run_terminal(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.patch_stdout import patch_stdout

        from bot.transports.console_complete import CommandCompleter

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(
            history=FileHistory(str(self.settings.console_history_file)),
            completer=CommandCompleter(
                lambda: self.core.commands(admin=self.core.is_admin(self.user_key)), self.core.model_names
            ),
            complete_while_typing=False,  # Tab asks; typing stays quiet
        )
        self._print("Bardling console — /help lists the commands, Tab completes, /quit or Ctrl-D leaves.")
        with patch_stdout(raw=True):
            while True:
                try:
                    line = await session.prompt_async(PROMPT)
                except KeyboardInterrupt:  # Ctrl-C drops the line being typed, as in a shell
                    continue
                except EOFError:  # Ctrl-D on an empty line
                    return
                if not await self.handle_line(line):
                    return

    async def handle_line(self, line: str) -> bool:
        """Answer one line; ``False`` when the user asked to leave."""
        text = line.strip()
        if not text:
            return True
        parsed = split_command(text)
        if parsed is None:
            self._print("Commands start with / — try /help")
            return True
        command, args = parsed
        if command in ("quit", "exit"):
            return False
        if command == "admin":
            self._switch_admin(args.strip().lower())
            return True
        # The console's one user owns its one chat, so /chat is theirs to set.
        invocation = Invocation(
            PLATFORM, USER_ID, self._user_name, USER_ID, command, args, chat_admin=True, locale=self._locale
        )
        self._print(render(await self.core.handle(invocation)) + "\n")
        return True

    def _switch_admin(self, word: str) -> None:
        if word not in ("on", "off"):
            state = "on" if self.core.is_admin(self.user_key) else "off"
            self._print(f"Admin mode is {state}. Usage: /admin on|off")
            return
        self.core.set_admin(self.user_key, word == "on")
        self._print(f"Admin mode {word}.")

    async def notify(self, notice: Notice) -> None:
        self._print(render(Reply(notice.text, image=notice.image)))

    def _print(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)


def _read_lines(stream: TextIO) -> Iterator[str | UnicodeDecodeError]:
    """Each line without its line break; a line that cannot be decoded comes as its error.

    Lines are decoded one by one from the bytes, so one bad byte costs only its own line (a text
    stream decodes whole chunks: one bad byte would end the input, lines before it included).
    """
    raw = getattr(stream, "buffer", None)
    if raw is None:  # already text (e.g. a StringIO): nothing left to decode
        yield from (line.rstrip("\r\n") for line in stream)
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    for data in raw:
        try:
            yield data.decode(encoding).rstrip("\r\n")
        except UnicodeDecodeError as err:
            yield err


def undecodable(err: UnicodeDecodeError) -> str:
    return (
        f"That line is not {err.encoding.upper().replace('_', '-')} text "
        f"(byte {err.start} cannot be decoded), so it was skipped."
    )


def console_locale(settings: Settings) -> str:
    """``BARDLING_LOCALE``, else the terminal's language as gettext reads it (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``, e.g. ``zh_CN.UTF-8``)."""
    names = ("LC_ALL", "LC_MESSAGES", "LANG")
    return settings.locale or next((value for name in names if (value := os.environ.get(name))), "")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "console user"
