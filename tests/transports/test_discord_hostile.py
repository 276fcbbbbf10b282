"""Discord reach and privacy: admin commands hidden from members, personal lists private in servers,
autocomplete limited to models the command serves, and no download for a command that is refused."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.transports.bots import DISCORD_ADMIN, discord_bot
from tests.transports.conftest import MakeSettings

USER = 4_343
GUILD = 7_100
ADMINISTRATOR = str(1 << 3)  # Discord's permission bit: members without it do not see the command


@pytest.fixture
def settings(make_settings: MakeSettings, discord_api: FakeDiscord) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        return make_settings(**{"discord_token": discord_api.token, **overrides})

    return make


async def test_admin_commands_are_hidden_from_ordinary_members(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()) as (app, _):
        admin_only = {c.name for c in app.core.commands(admin=True)} - {c.name for c in app.core.commands()}
    assert {"retrain", "rollback", "cancel"} <= admin_only
    for command in discord_api.commands:
        expected = ADMINISTRATOR if command["name"] in admin_only else None
        value = command.get("default_member_permissions")  # discord.py sends a number, Discord a string
        assert (None if value is None else str(value)) == expected, command["name"]


async def test_favourites_and_history_are_private_in_servers_and_plain_in_direct_messages(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        shown = {
            (name, where): (await discord_api.shown(discord_api.slash(USER, name, guild_id=where)))[0]
            for name in ("favs", "history")
            for where in (GUILD, None)
        }
    for (name, where), message in shown.items():
        assert message.ephemeral == (where is not None), (name, where, message.content)
        assert not message.content.startswith("Something went wrong")


async def test_autocomplete_offers_only_models_that_serve_the_command(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        verse = discord_api.autocomplete(USER, "poem", "model", model="")
        names = discord_api.autocomplete(USER, "dinoname", "model", model="")
        await discord_api.answered(verse)
        await discord_api.answered(names)
    assert [c["value"] for c in verse.choices] == ["shakespeare"]  # not dinos: /poem refuses it
    assert [c["value"] for c in names.choices] == ["dinos"]


async def test_an_attachment_is_not_downloaded_for_a_user_the_command_refuses(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    corpus = ("corpus.txt", b"To be, or not to be")
    async with discord_bot(settings()):
        stranger = discord_api.slash(USER, "retrain", guild_id=GUILD, model="dinos", file=corpus)
        (refusal,) = await discord_api.shown(stranger)
        assert discord_api.downloads == []
        admin = discord_api.slash(DISCORD_ADMIN, "upload", guild_id=GUILD, file=corpus)
        (granted,) = await discord_api.shown(admin)
    assert refusal.ephemeral and refusal.content == "/retrain is for admins only."
    assert granted.content == "got corpus.txt: To be, or not to be" and len(discord_api.downloads) == 1


async def test_lone_surrogates_and_bidi_characters_in_options_are_dropped(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        typed = discord_api.slash(USER, "poem", guild_id=GUILD, seed="a\ud800b\u202e")
        (shown,) = await discord_api.shown(typed)
    assert shown.content.startswith("ab") and shown.custom_ids  # generated and stored
