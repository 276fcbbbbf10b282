"""The 🖼 button through the real libraries: a photo on Telegram, an attachment on Discord."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.transports.bots import discord_bot, telegram_bot
from tests.transports.conftest import MakeSettings

USER = 42
GUILD = 7000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_card_button_sends_the_poem_as_a_photo_on_telegram(
    make_settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    settings: Settings = make_settings(
        telegram_token=telegram_api.token, telegram_base_url=telegram_api.base_url
    )
    async with telegram_bot(settings):
        telegram_api.send_text(USER, "/poem Forsooth this maketh")
        (sent,) = await telegram_api.wait_sent(USER)
        card = dict(sent.buttons())["🖼 Card"]
        telegram_api.press(USER, sent.result, card)
        (photo,) = await telegram_api.wait_sent(USER, method="sendPhoto")
    generation_id = card.split(":")[1]
    assert photo.params["caption"] == f"#{generation_id} · shakespeare v1"
    assert photo.files["photo"].startswith(PNG_MAGIC)


@pytest.mark.parametrize("guild", [GUILD, None], ids=["guild", "dm"])
async def test_card_button_attaches_the_poem_as_a_png_on_discord(
    make_settings: MakeSettings, discord_api: FakeDiscord, guild: int | None
) -> None:
    async with discord_bot(make_settings(discord_token=discord_api.token)):
        (shown,) = await discord_api.shown(
            discord_api.slash(USER, "poem", guild_id=guild, seed="Forsooth this maketh")
        )
        card = shown.custom_ids[2]
        (picture,) = await discord_api.shown(discord_api.click(USER, shown.message_id, card, guild_id=guild))
    assert not picture.ephemeral
    assert picture.content.replace("\\#", "#").startswith("#" + card.rsplit(":", 1)[1])
    (content,) = picture.files.values()
    assert content.startswith(PNG_MAGIC)
