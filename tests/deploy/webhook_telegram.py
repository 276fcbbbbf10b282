"""The fake Telegram Bot API in webhook mode: once the bot calls ``setWebhook``, updates are POSTed
to it, as Telegram does, instead of waiting for ``getUpdates``.

Telegram would call the public HTTPS URL; here a reverse proxy is played by sending each update to
the next of the replicas' local addresses in turn.
"""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp

from tests.fakes.telegram_api import Call, FakeTelegram

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookTelegram(FakeTelegram):
    def __init__(self, replicas: list[str]) -> None:
        super().__init__()
        self._next_replica = itertools.cycle(replicas)
        self.deliveries: list[tuple[str, int]] = []  # (replica, HTTP status)

    def webhook(self) -> Call | None:
        """The last ``setWebhook`` call, or None while none was made."""
        calls = self.sent(method="setWebhook")
        return calls[-1] if calls else None

    def _push(self, update: dict[str, Any]) -> None:
        hook = self.webhook()
        if hook is None:
            super()._push(update)
            return
        self._soon(self._deliver({"update_id": next(self._update_ids), **update}, hook))

    async def _deliver(self, update: dict[str, Any], hook: Call) -> None:
        replica = next(self._next_replica)
        secret = hook.params.get("secret_token")
        headers = {SECRET_HEADER: secret} if secret else {}
        async with (
            aiohttp.ClientSession() as http,
            http.post(replica, json=update, headers=headers) as answer,
        ):
            self.deliveries.append((replica, answer.status))
        await self._notify()
