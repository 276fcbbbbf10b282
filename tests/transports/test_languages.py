"""Telegram and Discord speak each user's language: menus and descriptions in Chinese for Chinese
apps (``setMyCommands`` per language, discord.py's translator), replies too; English otherwise."""

from __future__ import annotations

from bot.config import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.transports.bots import discord_bot, telegram_bot
from tests.transports.conftest import MakeSettings

USER = 4_343
GUILD = 7_000


async def test_telegram_menus_per_language_and_replies_in_the_users_language(
    make_settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    settings = make_settings(telegram_token=telegram_api.token, telegram_base_url=telegram_api.base_url)
    async with telegram_bot(settings):
        telegram_api.send_text(USER, "/help", language="zh-hans")
        telegram_api.send_text(USER + 1, "/help", language="en")
        chinese = (await telegram_api.wait_sent(USER))[0]
        english = (await telegram_api.wait_sent(USER + 1))[0]
    menus = {
        call.params.get("language_code"): {c["command"]: c["description"] for c in call.json("commands")}
        for call in telegram_api.sent(method="setMyCommands")
        if call.json("scope") == {"type": "default"}
    }
    assert set(menus) == {None, "zh"}  # everyone's, and Chinese apps'
    assert menus["zh"]["dinoname"] == "编恐龙的名字" and menus[None]["dinoname"] == "Invent dinosaur names"
    assert menus["zh"].keys() == menus[None].keys()  # the commands themselves keep their names
    assert chinese.text.startswith("命令：") and english.text.startswith("Commands:")


async def test_discord_descriptions_in_chinese_and_replies_in_the_users_locale(
    make_settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    settings: Settings = make_settings(discord_token=discord_api.token)
    async with discord_bot(settings):
        (chinese,) = await discord_api.shown(
            discord_api.slash(USER, "help", guild_id=GUILD, user_locale="zh-CN")
        )
        (english,) = await discord_api.shown(discord_api.slash(USER, "help", guild_id=GUILD))
    dinoname = discord_api.command("dinoname")
    count = next(o for o in dinoname["options"] if o["name"] == "count")
    assert dinoname["description"] == "Invent dinosaur names"
    assert dinoname["description_localizations"]["zh-CN"] == "编恐龙的名字"
    assert count["description_localizations"]["zh-CN"] == "名字个数，1–20（默认 5）"
    assert not dinoname.get("name_localizations")  # names stay as typed everywhere
    assert chinese.content.startswith("命令：") and english.content.startswith("Commands:")
