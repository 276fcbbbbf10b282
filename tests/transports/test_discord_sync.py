"""``BARDLING_DISCORD_SYNC_GUILDS``: slash commands synced to test guilds at once instead of globally."""

from __future__ import annotations

from bot.config import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.transports.bots import discord_bot
from tests.transports.conftest import MakeSettings


async def test_commands_sync_to_the_named_guilds_and_not_globally(
    make_settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    settings: Settings = make_settings(discord_token=discord_api.token, discord_sync_guilds="7000, 7001")
    async with discord_bot(settings) as (app, _):
        names = {c.name for c in app.core.commands(admin=True)}
    assert discord_api.commands == []  # nothing global: that can take Discord up to an hour to show
    assert set(discord_api.guild_commands) == {7000, 7001}
    for synced in discord_api.guild_commands.values():
        assert {c["name"] for c in synced} == names
