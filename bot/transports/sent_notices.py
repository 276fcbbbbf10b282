"""Which message showed a keyed notice, so the next notice with that key edits it (job progress).

Bounded, so a long-running bot does not grow without limit; a forgotten or pre-restart key just
means the next notice is sent as a new message.
"""

from __future__ import annotations

from collections import OrderedDict


class SentNotices:
    def __init__(self, capacity: int = 1024) -> None:
        self._capacity = capacity
        self._messages: OrderedDict[tuple[str, str], int] = OrderedDict()

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
