"""Follow swaps made by other processes: every bot process watches ``<models_dir>/<name>/``.

A retrain or ``bardling jobs rollback`` in another process (or on another machine sharing the
models directory) changes which version a model serves by replacing its ``active`` file
atomically (or removing it: back to the bundled version), and every swap rewrites its ``history``.
This watch looks at both files' modification times and inodes every poll and, when any appeared,
disappeared or was replaced, has the engine rescan, so the new choice is served here too. Watching
``history`` as well catches a pin that came and went between two polls (a retrain here, a rollback
to the bundled version there): the ``active`` files alone look the same before and after.
It runs in every process, whether or not it runs the job worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.engine.registry import ACTIVE_FILE, HISTORY_FILE
from bot.jobs.versions import ModelVersions

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]  # "<model>/<file>" → (mtime_ns, inode) of its active or history file


class ActiveFilesWatch:
    def __init__(self, engine: ModelVersions, poll_s: float) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self._seen: Snapshot = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._seen = self._snapshot()
        self._task = asyncio.create_task(self._loop(), name="active-files-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def check(self) -> bool:
        """Rescan if an ``active`` file changed since the last look; ``True`` if it did."""
        current = self._snapshot()
        if current == self._seen:
            return False
        self._seen = current
        self.engine.reload()
        return True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                self.check()
            except Exception:
                log.exception("rescanning the models after a swap elsewhere failed; retrying")
                self._seen = {}  # look again at the next poll

    def _snapshot(self) -> Snapshot:
        models_dir = self.engine.models_dir
        if models_dir is None or not models_dir.is_dir():
            return {}
        found: Snapshot = {}
        for watched in (ACTIVE_FILE, HISTORY_FILE):
            for path in models_dir.glob(f"*/{watched}"):
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    found[f"{path.parent.name}/{watched}"] = (stat.st_mtime_ns, stat.st_ino)
        return found
