"""Telegram webhook mode: the real python-telegram-bot behind a fake Telegram that POSTs updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import Bardling
from bot.config import Settings
from bot.transports.telegram import TelegramStartError, TelegramTransport, webhook_secret
from tests.deploy.webhook_telegram import SECRET_HEADER, WebhookTelegram
from tests.support.postgres import PostgresServer
from tests.support.postgres import _free_port as free_port
from tests.transports.conftest import MakeSettings

PUBLIC_URL = "https://bardling.example.org/telegram"
USER = 5_151


def replica_settings(
    make_settings: MakeSettings, api: WebhookTelegram, port: int, **extra: object
) -> Settings:
    return make_settings(
        telegram_token=SecretStr(api.token),
        telegram_base_url=api.base_url,
        telegram_webhook_url=PUBLIC_URL,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        retrain_worker=False,
        **extra,
    )


@asynccontextmanager
async def replicas(settings: list[Settings]) -> AsyncIterator[list[Bardling]]:
    """Each settings a whole bot (its own process, in production) with its webhook transport."""
    async with AsyncExitStack() as stack:
        apps = []
        for one in settings:
            app = await stack.enter_async_context(Bardling(one))
            transport = TelegramTransport(app.core, one)
            await transport.start()
            stack.push_async_callback(transport.stop)
            apps.append(app)
        yield apps


async def test_webhook_is_registered_with_a_secret_and_updates_posted_to_it_are_answered(
    make_settings: MakeSettings,
) -> None:
    port = free_port()
    api = WebhookTelegram([f"http://127.0.0.1:{port}/telegram"])
    async with api:
        settings = replica_settings(make_settings, api, port)
        async with replicas([settings]):
            api.send_text(USER, "/poem Forsooth this maketh")
            (reply,) = await api.wait_sent(USER)
            async with aiohttp.ClientSession() as http:
                forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/poem"}}
                for headers in ({}, {SECRET_HEADER: "guess"}):
                    async with http.post(
                        f"http://127.0.0.1:{port}/telegram", json=forged, headers=headers
                    ) as answer:
                        assert answer.status == 403
    hook = api.webhook()
    assert hook is not None
    assert hook.params["url"] == PUBLIC_URL
    secret = hook.params["secret_token"]
    assert secret == webhook_secret(api.token) and api.token not in secret
    assert sorted(hook.json("allowed_updates")) == ["callback_query", "inline_query", "message"]
    assert reply.text.startswith("Forsooth this maketh") and reply.buttons()
    assert not api.sent(method="getUpdates") and not api.sent(method="deleteWebhook")
    assert api.deliveries == [(f"http://127.0.0.1:{port}/telegram", 200)]
    assert len(api.sent(USER)) == 1  # the forged updates were answered by nobody


def test_a_webhook_url_must_be_https(make_settings: MakeSettings, tmp_path: Path) -> None:
    settings = make_settings(telegram_token=SecretStr("1:x"), telegram_webhook_url="http://example.org/hook")
    with pytest.raises(TelegramStartError, match="https://"):
        TelegramTransport(object(), settings)  # type: ignore[arg-type]


@pytest.mark.postgres
async def test_two_replicas_behind_one_url_share_state_through_postgresql(
    make_settings: MakeSettings, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = await postgres_server.create_database()
    ports = [free_port(), free_port()]
    api = WebhookTelegram([f"http://127.0.0.1:{p}/telegram" for p in ports])
    async with api:
        settings = [
            replica_settings(make_settings, api, port, database_url=url, data_dir=tmp_path / f"replica{i}")
            for i, port in enumerate(ports)
        ]
        async with replicas(settings) as (first, second):
            message = api.send_text(USER, "/poem Forsooth")  # → replica 0
            (poem,) = await api.wait_sent(USER)
            api.press(USER, poem.result, poem.buttons()[0][1])  # Save → replica 1
            await api.wait_for(lambda calls: bool(api.sent(method="answerCallbackQuery")))
            api.send_text(USER, "/favs")  # → replica 0
            listing = (await api.wait_sent(USER, 2))[-1]
            saves = [_count(app, "fav") for app in (first, second)]
    assert message["text"] == "/poem Forsooth"
    assert [status for _, status in api.deliveries] == [200, 200, 200]
    assert [replica for replica, _ in api.deliveries] == [
        f"http://127.0.0.1:{ports[0]}/telegram",
        f"http://127.0.0.1:{ports[1]}/telegram",
        f"http://127.0.0.1:{ports[0]}/telegram",
    ]
    saved = api.sent(method="answerCallbackQuery")[0].params.get("text", "")
    assert "Saved" in saved
    assert "Forsooth" in listing.text
    assert saves == [0, 1]  # the click went to the second replica, which found the first one's poem


def _count(app: Bardling, command: str) -> float:
    labels = {"platform": "telegram", "command": command, "outcome": "ok"}
    return app.core.metrics.registry.get_sample_value("bardling_requests_total", labels) or 0.0
