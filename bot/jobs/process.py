"""One stage of a job (``train`` or ``export``) as a child process that the event loop only watches.

The child runs in a process group of its own (setsid), so a cancel or a time limit kills it
and anything it started with one signal, and a Ctrl-C meant for the bot does not reach it. The
loop never blocks: it waits for the exit with a timeout and asks ``check`` in between whether
the job should stop (cancelled, out of time).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

Check = Callable[[], Awaitable[str | None]]  # a reason to stop the process, or None to go on


@dataclass(frozen=True)
class Finished:
    returncode: int
    stopped: str | None = None  # the reason ``check`` gave when the process was killed for it

    @property
    def ok(self) -> bool:
        return self.stopped is None and self.returncode == 0

    def describe(self) -> str:
        if self.stopped:
            return f"stopped: {self.stopped}"
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            return f"was killed by {name}"
        return f"exited with code {self.returncode}"


async def run_stage(
    argv: list[str],
    *,
    log_path: Path,
    nice: int,
    poll_s: float,
    check: Check,
    wake: asyncio.Event | None = None,
    memory_bytes: int = 0,
) -> Finished:
    """Run ``argv`` (stdout and stderr appended to ``log_path``) until it exits or ``check`` stops it.

    ``memory_bytes`` (0: none) bounds what the process may allocate (``bot.jobs.child``).

    ``wake`` cuts a poll interval short (a cancel should not wait for the next tick). If the
    caller is cancelled, the process group is killed before this returns.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.jobs.child",
            "--memory",
            str(memory_bytes),
            str(nice),
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    exited = asyncio.ensure_future(proc.wait())
    try:
        while True:
            woken = asyncio.ensure_future(wake.wait()) if wake is not None else None
            waits = {exited} if woken is None else {exited, woken}
            await asyncio.wait(waits, timeout=poll_s, return_when=asyncio.FIRST_COMPLETED)
            if woken is not None:
                woken.cancel()
                assert wake is not None
                wake.clear()
            if exited.done():
                return Finished(exited.result())
            reason = await check()
            if reason is not None:
                kill_group(proc.pid)
                return Finished(await exited, reason)
    finally:
        if not exited.done():
            kill_group(proc.pid)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(exited)


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
