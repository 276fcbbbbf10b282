"""What both fake platform servers share: an aiohttp app on a free 127.0.0.1 port, and a record of
the calls the bot made that tests can wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from aiohttp import web

CallT = TypeVar("CallT")


class FakeServer(Generic[CallT]):
    def __init__(self) -> None:
        self.calls: list[CallT] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _serve(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _wait(self, predicate: Callable[[], bool], within: float) -> None:
        """Until ``predicate()`` holds, checked whenever a call is recorded or state changes."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def _record(self, call: CallT) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _soon(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in the background (test-side actions return at once, like a user's would)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
