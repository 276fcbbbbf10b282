"""/settings, /privacy and /chat through the real python-telegram-bot and discord.py, against the fakes:
buttons render and work on both, and each platform's own word on who administers a chat counts."""

from __future__ import annotations

import json

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.storage import generations, users
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.transports.bots import discord_bot, telegram_bot
from tests.transports.conftest import MakeSettings

USER, OTHER = 42, 43
GROUP = -1001
GUILD = 7_000


@pytest.fixture
def telegram_settings(make_settings: MakeSettings, telegram_api: FakeTelegram) -> Settings:
    return make_settings(telegram_token=telegram_api.token, telegram_base_url=telegram_api.base_url)


@pytest.fixture
def discord_settings(make_settings: MakeSettings, discord_api: FakeDiscord) -> Settings:
    return make_settings(discord_token=discord_api.token)


async def latest_params(app: Bardling, platform: str, user: int) -> dict[str, object]:
    storage = app.core.services.storage
    found = await users.find(storage, platform, str(user))
    assert found is not None
    (row,) = await generations.latest(storage, found.id, limit=1)
    return dict(row.params)


def button(call: Call, label: str) -> str:
    return {text.removeprefix("✓ "): data for text, data in call.buttons()}[label]


async def test_telegram_menu_has_settings_and_privacy_and_the_buttons_set_my_defaults(
    telegram_settings: Settings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(telegram_settings) as (app, _):
        telegram_api.send_text(USER, "/settings")
        (shown,) = await telegram_api.wait_sent(USER)
        telegram_api.press(USER, shown.result, button(shown, "🌡 Temperature"))
        menu = (await telegram_api.wait_sent(USER, 2))[1]
        telegram_api.press(USER, menu.result, button(menu, "1.2"))
        saved = (await telegram_api.wait_sent(USER, 3))[2]
        telegram_api.send_text(USER, "/poem Hark length:40")
        await telegram_api.wait_sent(USER, 4)
        params = await latest_params(app, "telegram", USER)
        telegram_api.send_text(USER, "/privacy")
        privacy = (await telegram_api.wait_sent(USER, 5))[4]
    (menu_call,) = [
        c
        for c in telegram_api.sent(method="setMyCommands")
        if c.json("scope") == {"type": "default"} and not c.params.get("language_code")
    ]
    assert {"settings", "privacy", "chat"} <= {c["command"] for c in menu_call.json("commands")}
    assert "temperature: default (0.8)" in shown.text
    rows = json.loads(menu.params["reply_markup"])["inline_keyboard"]
    assert [len(row) for row in rows] == [4, 1]  # choices wrap, four to a row
    assert saved.text.startswith("Saved.") and "temperature: 1.2" in saved.text
    assert (params["temperature"], params["max_tokens"]) == (1.2, 40)  # mine, and the length named
    assert "until you delete it" in privacy.text and "/forget" in privacy.text


async def test_telegram_group_admins_set_the_rules_and_others_are_refused(
    telegram_settings: Settings, telegram_api: FakeTelegram
) -> None:
    telegram_api.chat_admins[GROUP] = [USER]
    async with telegram_bot(telegram_settings):
        telegram_api.send_text(OTHER, "/chat cooldown 30", chat_id=GROUP)
        (refused,) = await telegram_api.wait_sent(GROUP)
        telegram_api.send_text(USER, "/chat disable poem", chat_id=GROUP)
        menu = (await telegram_api.wait_sent(GROUP, 2))[1]
        telegram_api.send_text(OTHER, "/poem Hark", chat_id=GROUP)
        off = (await telegram_api.wait_sent(GROUP, 3))[2]
        query = telegram_api.press(OTHER, menu.result, button(menu, "🚫 /poem"))
        await telegram_api.wait_for(
            lambda calls: any(c.params.get("callback_query_id") == query for c in calls)
        )
        telegram_api.send_text(OTHER, "/poem Hark")  # in their own chat with the bot
        (mine,) = await telegram_api.wait_sent(OTHER)
    assert refused.text == "Only this chat's admins can change that."
    assert menu.text.startswith("Saved.") and button(menu, "🚫 /poem") == "chat:enable=poem"
    assert off.text == "/poem is turned off in this chat."
    (toast,) = [
        c for c in telegram_api.sent(method="answerCallbackQuery") if c.params["callback_query_id"] == query
    ]
    assert toast.text == "Only this chat's admins can change that." and toast.params["show_alert"] == "true"
    assert mine.text.startswith("Hark")
    asked = telegram_api.sent(method="getChatAdministrators")
    assert [c.chat_id for c in asked] == [GROUP]  # once for the group, remembered; never for a private chat


async def test_discord_settings_buttons_and_options(
    discord_settings: Settings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(discord_settings) as (app, _):
        (shown,) = await discord_api.shown(discord_api.slash(USER, "settings", guild_id=GUILD))
        temperature = "bardling:settings:temperature"
        (menu,) = await discord_api.shown(
            discord_api.click(USER, shown.message_id, temperature, guild_id=GUILD)
        )
        choice = "bardling:settings:temperature=0.6"
        (saved,) = await discord_api.shown(discord_api.click(USER, menu.message_id, choice, guild_id=GUILD))
        (typed,) = await discord_api.shown(discord_api.slash(USER, "settings", guild_id=GUILD, length=40))
        await discord_api.shown(discord_api.slash(USER, "poem", guild_id=GUILD, seed="Hark"))
        params = await latest_params(app, "discord", USER)
    assert shown.custom_ids == [
        "bardling:settings:model",
        "bardling:settings:form",
        temperature,
        "bardling:settings:length",
        "bardling:settings:reset",
    ]
    assert choice in menu.custom_ids
    assert "temperature: 0.6" in saved.content and not saved.ephemeral
    assert "temperature: 0.6\nlength: 40" in typed.content
    assert (params["temperature"], params["max_tokens"]) == (0.6, 40)


async def test_discord_manage_server_sets_the_rules_and_others_are_refused(
    discord_settings: Settings, discord_api: FakeDiscord
) -> None:
    discord_api.server_managers.add(USER)
    async with discord_bot(discord_settings):
        (refused,) = await discord_api.shown(discord_api.slash(OTHER, "chat", guild_id=GUILD, disable="poem"))
        (saved,) = await discord_api.shown(discord_api.slash(USER, "chat", guild_id=GUILD, disable="poem"))
        (off,) = await discord_api.shown(discord_api.slash(OTHER, "poem", guild_id=GUILD, seed="Hark"))
        (dm,) = await discord_api.shown(discord_api.slash(OTHER, "poem", seed="Hark"))
        (pressed,) = await discord_api.shown(
            discord_api.click(OTHER, saved.message_id, "bardling:chat:enable=poem", guild_id=GUILD)
        )
    assert refused.ephemeral and refused.content == "Only this chat's admins can change that."
    assert saved.content.startswith("Saved.") and "bardling:chat:enable=poem" in saved.custom_ids
    assert off.ephemeral and off.content == "/poem is turned off in this chat."
    assert dm.content.startswith("Hark")
    assert pressed.ephemeral and pressed.content == "Only this chat's admins can change that."


async def test_discord_server_rules_set_in_one_channel_hold_in_another(
    discord_settings: Settings, discord_api: FakeDiscord
) -> None:
    discord_api.server_managers.add(USER)
    here, there = GUILD + 1, GUILD + 2
    async with discord_bot(discord_settings):
        (refused,) = await discord_api.shown(
            discord_api.slash(OTHER, "chat", guild_id=GUILD, channel_id=here, scope="server", disable="poem")
        )
        (saved,) = await discord_api.shown(
            discord_api.slash(USER, "chat", guild_id=GUILD, channel_id=here, scope="server", disable="poem")
        )
        (off,) = await discord_api.shown(
            discord_api.slash(OTHER, "poem", guild_id=GUILD, channel_id=there, seed="Hark")
        )
        (shown,) = await discord_api.shown(discord_api.slash(OTHER, "chat", guild_id=GUILD, channel_id=there))
    assert refused.ephemeral and refused.content == (
        "Only members with Manage Server can change this server's rules."
    )
    assert saved.content.startswith("Saved for every channel of this server.")
    assert off.ephemeral and off.content == "/poem is turned off in this chat."
    assert "turned off: /poem (this server's rule)" in shown.content
