"""The Discord transport: real discord.py, fake REST API and gateway, real core on tiny models."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from artifact.forms import FORMS
from artifact.sampling import MAX_TOKENS
from bot.app import Bardling
from bot.config import Settings
from bot.core.core import INTERNAL_ERROR
from bot.core.types import Notice
from bot.transports.discord import DiscordStartError, DiscordTransport
from tests.fakes.discord_api import (
    AUTOCOMPLETE_RESULT,
    DEFERRED_MESSAGE,
    MAX_CONTENT,
    MESSAGE,
    FakeDiscord,
    Shown,
)
from tests.transports.bots import DISCORD_ADMIN, LONG_TEXT, PNG, ask, discord_bot, letters, write_png
from tests.transports.conftest import MakeSettings

USER = 4_242
GUILD = 7_000


@pytest.fixture
def settings(make_settings: MakeSettings, discord_api: FakeDiscord) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        return make_settings(**{"discord_token": discord_api.token, **overrides})

    return make


async def poem(api: FakeDiscord, user: int = USER, guild: int | None = GUILD, **options: Any) -> Shown:
    options.setdefault("seed", "Forsooth this maketh")
    (shown,) = await api.shown(api.slash(user, "poem", guild_id=guild, **options))
    return shown


async def test_slash_commands_are_synced_from_the_core_with_typed_described_options(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()) as (app, _):
        names = {c.name for c in app.core.commands(admin=True)}
    assert {c["name"] for c in discord_api.commands} == names
    options = {o["name"]: o for o in discord_api.command("poem")["options"]}
    assert options["seed"]["type"] == 3 and options["seed"]["description"].startswith("Opening words")
    assert options["model"]["autocomplete"] is True
    assert (options["temperature"]["type"], options["temperature"]["min_value"]) == (10, 0.1)
    assert (options["length"]["type"], options["length"]["max_value"]) == (4, MAX_TOKENS)
    assert [c["value"] for c in options["form"]["choices"]] == list(FORMS)
    assert not any(o["required"] for o in options.values())
    assert set(discord_api.command("poem")["contexts"]) >= {0, 1}  # guilds and DMs with the bot
    (identify,) = discord_api.identifies
    assert identify["intents"] & ((1 << 1) | (1 << 8) | (1 << 15)) == 0  # no privileged intent


@pytest.mark.parametrize("guild", [GUILD, None], ids=["guild", "dm"])
async def test_poem_reply_has_persistent_buttons_and_mentions_nobody(
    settings: MakeSettings, discord_api: FakeDiscord, guild: int | None
) -> None:
    async with discord_bot(settings()):
        shown = await poem(discord_api, guild=guild)
    assert shown.content.startswith("Forsooth this maketh")
    assert not shown.ephemeral
    assert [cid.rsplit(":", 1)[0] for cid in shown.custom_ids] == [
        "bardling:fav",
        "bardling:again",
        "bardling:card",
    ]
    assert shown.allowed_mentions == {"parse": []}


async def test_a_seed_stays_a_seed_whatever_words_it_holds(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    seed = "Speak, model:dinos of love length:ever"
    async with discord_bot(settings()):
        shown = await poem(discord_api, seed=seed)
    assert shown.content.startswith(seed) and "shakespeare v1" in shown.content


async def test_save_button_stores_a_favourite_that_favs_lists(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()) as (app, _):
        shown = await poem(discord_api)
        save = shown.custom_ids[0]
        (ack,) = await discord_api.shown(discord_api.click(USER, shown.message_id, save, guild_id=GUILD))
        (listing,) = await discord_api.shown(discord_api.slash(USER, "favs", guild_id=GUILD))
        stored = await ask(app, "discord", USER, "favs")
    generation = "#" + save.rsplit(":", 1)[1]
    assert ack.ephemeral and generation in ack.content
    assert generation in listing.content.replace("\\#", "#")
    assert generation in stored.text


async def test_again_button_posts_a_new_public_poem(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings()):
        shown = await poem(discord_api)
        again = shown.custom_ids[1]
        (second,) = await discord_api.shown(discord_api.click(USER, shown.message_id, again, guild_id=GUILD))
    assert second.content.startswith("Forsooth this maketh") and not second.ephemeral
    assert second.custom_ids and second.custom_ids != shown.custom_ids


async def test_model_names_autocomplete(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings()):
        typing = discord_api.autocomplete(USER, "poem", "model", model="SHAK")
        (callback,) = await discord_api.answered(typing)
    assert callback["type"] == AUTOCOMPLETE_RESULT
    assert typing.choices == [{"name": "shakespeare", "value": "shakespeare"}]


async def test_rate_limit_is_explained_ephemerally(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings(rate_limit_burst=1, rate_limit_per_minute=1.0)):
        await poem(discord_api)
        refusal = await poem(discord_api)
    assert refusal.ephemeral and refusal.content.startswith("Easy there")
    assert refusal.custom_ids == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"temperature": 9.0}, "temperature must be a number from 0.1 to 2."),
        ({"model": "nosuch"}, "Unknown model"),
        ({"seed": "x" * 6000}, "Seed too long"),
    ],
)
async def test_bad_input_gets_a_short_ephemeral_reply(
    settings: MakeSettings, discord_api: FakeDiscord, options: dict[str, Any], expected: str
) -> None:
    async with discord_bot(settings()):
        refusal = await poem(discord_api, **options)
        after = await poem(discord_api, seed="still here")
    assert refusal.ephemeral and refusal.content.startswith(expected) and len(refusal.content) < 200
    assert after.content.startswith("still here")


async def test_admin_only_command_is_refused_to_others(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        (refusal,) = await discord_api.shown(discord_api.slash(USER, "secret", guild_id=GUILD))
        (granted,) = await discord_api.shown(discord_api.slash(DISCORD_ADMIN, "secret", guild_id=GUILD))
    assert refusal.ephemeral and refusal.content == "/secret is for admins only."
    assert granted.content == "the admin secret" and not granted.ephemeral


async def test_slow_commands_are_deferred_then_followed_up(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings(), defer_after=0.1):
        slow = discord_api.slash(USER, "slow", guild_id=GUILD)
        (done,) = await discord_api.shown(slow)
        failing = discord_api.slash(USER, "slow", guild_id=GUILD, fail="yes")
        (failed,) = await discord_api.shown(failing)
    assert [c["type"] for c in slow.callbacks] == [DEFERRED_MESSAGE]
    assert done.content == "done slowly" and not done.ephemeral
    assert failing.deleted_original  # the public "thinking…" does not linger over an error
    assert failed.ephemeral and failed.content == "slow and failed"


async def test_quick_commands_are_answered_directly(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings()):
        models = discord_api.slash(USER, "models")
        await discord_api.shown(models)
    assert [c["type"] for c in models.callbacks] == [MESSAGE]


async def test_a_failed_answer_is_apologised_for_and_loses_nothing_else(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        discord_api.fail_next("POST", "/interactions/", 400, "Invalid Form Body")
        (apology,) = await discord_api.shown(discord_api.slash(USER, "models"))
        after = await poem(discord_api, seed="still here")
    assert apology.ephemeral and apology.content == INTERNAL_ERROR
    assert after.content.startswith("still here")


async def test_long_replies_are_split(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings()):
        parts = await discord_api.shown(discord_api.slash(USER, "long"), count=6)
    assert all(len(p.content) <= MAX_CONTENT for p in parts)
    assert "\n".join(p.content for p in parts) == LONG_TEXT


async def test_images_are_attached(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings()):
        (shown,) = await discord_api.shown(discord_api.slash(USER, "picture"))
    assert shown.content == "a picture"
    assert list(shown.files.values()) == [PNG]


async def test_an_attached_file_reaches_the_core(settings: MakeSettings, discord_api: FakeDiscord) -> None:
    async with discord_bot(settings()):
        upload = discord_api.slash(USER, "upload", file=("../corpus.txt", b"To be, or not to be"))
        (shown,) = await discord_api.shown(upload)
    (option,) = discord_api.command("upload")["options"]
    assert option["type"] == 11  # ATTACHMENT
    assert shown.content == "got corpus.txt: To be, or not to be"


async def test_restart_keeps_favourites_and_old_buttons_work(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        shown = await poem(discord_api)
    async with discord_bot(settings()) as (app, _):
        save = shown.custom_ids[0]  # a button on a message sent before the restart
        (ack,) = await discord_api.shown(discord_api.click(USER, shown.message_id, save, guild_id=GUILD))
        favs = await ask(app, "discord", USER, "favs")
    generation = "#" + save.rsplit(":", 1)[1]
    assert generation in ack.content and generation in favs.text
    assert len(discord_api.identifies) == 2  # a fresh IDENTIFY, not a RESUME


async def test_notices_go_to_the_channel_and_edit_by_key(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    channel = 31_337
    async with discord_bot(settings()) as (app, _):
        for percent in (10, 50, 90):
            assert await app.core.notify("discord", Notice(str(channel), f"training {percent}%", key="job1"))
        assert await app.core.notify(
            "discord",
            Notice(str(channel), "@everyone done", image=write_png(app.settings.data_dir, "notice.png")),
        )
    posts = discord_api.requests("POST", f"/channels/{channel}/messages")
    edits = discord_api.requests("PATCH", f"/channels/{channel}/")
    assert [p.body["content"] for p in posts] == ["training 10%", "@everyone done"]
    assert posts[1].files and posts[1].body["allowed_mentions"] == {"parse": []}
    assert [e.body["content"] for e in edits] == ["training 50%", "training 90%"]


async def test_auto_sharded_client_serves_its_shard_range(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    guild_on_shard_2 = (2 << 22) + 4 * (1 << 22) * 1000
    async with discord_bot(settings(discord_shard_count=4, discord_shard_ids=[2])) as (_, transport):
        assert discord_api.shard_of(guild_on_shard_2) == 2
        shown = await poem(discord_api, guild=guild_on_shard_2)
    assert [i["shard"] for i in discord_api.identifies] == [[2, 4]]
    assert isinstance(transport.client, discord.AutoShardedClient)
    assert shown.content.startswith("Forsooth this maketh")


async def test_a_rejected_token_stops_start_without_showing_it(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    bad = settings(discord_token="wrong-secret")
    async with Bardling(bad) as app:
        transport = DiscordTransport(app.core, bad)
        with pytest.raises(DiscordStartError) as caught:
            await transport.start()
    assert "wrong-secret" not in str(caught.value)


@pytest.mark.slow
async def test_a_hundred_concurrent_users_lose_nothing(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    users = range(20_000, 20_100)
    async with discord_bot(settings()) as (app, _):
        poems = await asyncio.gather(
            *(poem(discord_api, user, seed=f"Verse {letters(user)}") for user in users)
        )
        clicks = [
            discord_api.click(user, shown.message_id, shown.custom_ids[0], guild_id=GUILD)
            for user, shown in zip(users, poems, strict=True)
        ]
        acks = await asyncio.gather(*(discord_api.shown(click) for click in clicks))
        listings = await asyncio.gather(*(ask(app, "discord", u, "favs") for u in users))
    for user, shown, (ack,), listing in zip(users, poems, acks, listings, strict=True):
        generation = "#" + shown.custom_ids[0].rsplit(":", 1)[1]
        assert shown.content.startswith(f"Verse {letters(user)}")
        assert generation in ack.content and f"{generation} " in listing.text
    assert len({shown.custom_ids[0] for shown in poems}) == len(users)
