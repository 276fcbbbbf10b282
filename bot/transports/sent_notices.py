"""Which message showed a keyed notice, so the next notice with that key edits it (job progress).

Bounded, so a long-running bot does not grow without limit; a forgotten key just means the next
notice is sent as a new message. With a ``path`` the ids are kept in a file, so a job's progress
message is still edited to its outcome after the bot restarts.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import OrderedDict
from pathlib import Path


class SentNotices:
    def __init__(self, capacity: int = 1024, path: Path | None = None) -> None:
        self._capacity = capacity
        self._path = path
        self._messages: OrderedDict[tuple[str, str], int] = OrderedDict()
        if path is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                for chat_id, key, message_id in json.loads(path.read_text("utf-8"))[-capacity:]:
                    self._messages[(str(chat_id), str(key))] = int(message_id)

    def get(self, chat_id: str, key: str | None) -> int | None:
        """The message id that last showed ``key`` in ``chat_id``, if remembered."""
        if key is None:
            return None
        message_id = self._messages.get((chat_id, key))
        if message_id is not None:
            self._messages.move_to_end((chat_id, key))
        return message_id

    def remember(self, chat_id: str, key: str | None, message_id: int) -> None:
        if key is None:
            return
        self._messages[(chat_id, key)] = message_id
        self._messages.move_to_end((chat_id, key))
        while len(self._messages) > self._capacity:
            self._messages.popitem(last=False)
        self._save()

    def _save(self) -> None:
        if self._path is None:
            return
        rows = [[chat_id, key, message_id] for (chat_id, key), message_id in self._messages.items()]
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):  # losing this costs an edit, never a reply
            tmp.write_text(json.dumps(rows), "utf-8")
            os.replace(tmp, self._path)
