"""No log line shows a bot token or the database password, whichever library logs it, at any level."""

from __future__ import annotations

import logging

import pytest

from bot.observability.logs import configure_logging, secrets_of
from tests.fakes.telegram_api import FakeTelegram
from tests.transports.bots import telegram_bot
from tests.transports.conftest import MakeSettings

PASSWORD = 'pa@ss:w/rd"é'


async def test_telegram_debug_logs_never_show_the_token(
    make_settings: MakeSettings,
    telegram_api: FakeTelegram,
    root_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(telegram_token=telegram_api.token, telegram_base_url=telegram_api.base_url)
    configure_logging("DEBUG", "text", secrets_of(settings))
    async with telegram_bot(settings):
        telegram_api.send_text(42, "/poem Forsooth")
        await telegram_api.wait_sent(42)
    err = capsys.readouterr().err
    assert "Set Bot API URL" in err  # the library's DEBUG line that carries the URL was written…
    assert telegram_api.token not in err and telegram_api.token.split(":")[1] not in err  # …masked
    assert "/bot***" in err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_database_password_is_masked_in_messages_and_tracebacks(
    make_settings: MakeSettings, root_logging: None, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    from urllib.parse import quote

    url = f"postgresql+asyncpg://bard:{quote(PASSWORD, safe='')}@db/bardling?password=query-secret"
    settings = make_settings(database_url=url, discord_token="discord-token-value")
    configure_logging("INFO", fmt, secrets_of(settings))  # type: ignore[arg-type]
    log = logging.getLogger("some.driver")
    log.info("connecting to %s as %r", url, PASSWORD)
    try:
        raise ConnectionError(f"could not connect with password {PASSWORD} (token discord-token-value)")
    except ConnectionError:
        log.exception("failed")
    err = capsys.readouterr().err
    assert "connecting to" in err and "ConnectionError" in err
    for leaked in ("pa@ss", "pa%40ss", "w/rd", "discord-token-value", "query-secret"):
        assert leaked not in err
