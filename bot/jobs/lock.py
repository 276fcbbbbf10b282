"""One job at a time per data dir, across processes: the bot and ``bardling jobs start`` may both run
a worker, and only the one holding this lock runs a job. A job row that says ``running`` while
nobody holds the lock was left by a process that died: its worker is gone, so the job failed.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "jobs.lock"


class JobLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None
