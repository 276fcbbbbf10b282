"""Child processes that tests start with asyncio: each is waited for before its test ends."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def reaped(proc: asyncio.subprocess.Process) -> AsyncIterator[asyncio.subprocess.Process]:
    """Yield ``proc``; afterwards, however the test went, kill it if it may still run and wait for it.

    A child left running when its test's event loop closes is reaped by a watcher thread behind its
    ``Popen``'s back; that ``Popen``, garbage-collected later, polls its pid, which by then may belong
    to another test's child, and reaps that one (its test then sees return code 255). ``os.kill``,
    not ``proc.kill()``: ``Popen`` polls before signalling, and a poll that finds the child already
    dead reaps it before the loop's watcher can, with the same 255.
    """
    try:
        yield proc
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
