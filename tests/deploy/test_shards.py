"""Discord shard ranges: each process an ``AutoShardedClient`` for its range of one shard count."""

from __future__ import annotations

from contextlib import AsyncExitStack

import discord
import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.transports.discord import DiscordStartError, DiscordTransport
from tests.fakes.discord_api import FakeDiscord
from tests.transports.conftest import MakeSettings

SHARDS = 4
USER = 8_080


def guild_on(shard: int) -> int:
    """A guild id whose events Discord sends to ``shard`` (of ``SHARDS``)."""
    return ((1_000 * SHARDS + shard) << 22) + 77


def _served(app: Bardling) -> float:
    labels = {"platform": "discord", "command": "poem", "outcome": "ok"}
    return app.core.metrics.registry.get_sample_value("bardling_requests_total", labels) or 0.0


async def test_two_processes_split_the_shards_and_each_answers_its_own_guilds(
    make_settings: MakeSettings, discord_api: FakeDiscord, tmp_path: pytest.TempPathFactory
) -> None:
    ranges = ["0-1", "2,3"]  # as BARDLING_DISCORD_SHARD_IDS would say them
    async with AsyncExitStack() as stack:
        apps, transports = [], []
        for i, shard_ids in enumerate(ranges):
            settings = make_settings(
                discord_token=discord_api.token,
                discord_shard_count=SHARDS,
                discord_shard_ids=shard_ids,
                data_dir=tmp_path / f"process{i}",  # type: ignore[operator]
                retrain_worker=False,
            )
            app = await stack.enter_async_context(Bardling(settings))
            transport = DiscordTransport(app.core, settings)
            await transport.start()
            stack.push_async_callback(transport.stop)
            apps.append(app)
            transports.append(transport)
        await discord_api.wait_for(lambda: len(discord_api.identifies) == SHARDS, within=60)
        shown = {}
        for shard, word in ((1, "one"), (3, "three")):
            interaction = discord_api.slash(USER, "poem", guild_id=guild_on(shard), seed=f"Shard {word}")
            (shown[shard],) = await discord_api.shown(interaction)
        served = [_served(app) for app in apps]
    assert sorted(tuple(i["shard"]) for i in discord_api.identifies) == [(s, SHARDS) for s in range(SHARDS)]
    clients = [t.client for t in transports]
    assert [c.shard_ids if isinstance(c, discord.AutoShardedClient) else None for c in clients] == [
        [0, 1],
        [2, 3],
    ]
    assert shown[1].content.startswith("Shard one") and shown[3].content.startswith("Shard three")
    assert served == [1, 1]


@pytest.mark.parametrize(
    ("count", "ids", "problem"),
    [
        (None, "0-1", "needs BARDLING_DISCORD_SHARD_COUNT"),
        (4, "3-4", "must be in 0–3; got 4"),
        (4, "1,1", "lists a shard twice"),
    ],
)
def test_impossible_shard_ranges_are_refused_before_connecting(
    make_settings: MakeSettings, count: int | None, ids: str | None, problem: str
) -> None:
    settings = make_settings(discord_token="t", discord_shard_count=count, discord_shard_ids=ids)
    with pytest.raises(DiscordStartError, match=problem):
        DiscordTransport(object(), settings)  # type: ignore[arg-type]


def test_a_shard_count_below_one_is_refused_by_the_settings(make_settings: MakeSettings) -> None:
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        make_settings(discord_token="t", discord_shard_count=0)


def test_shard_ids_come_from_the_environment_as_lists_and_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARDLING_DISCORD_SHARD_IDS", "0-2, 5")
    monkeypatch.setenv("BARDLING_ADMINS", "telegram:1, discord:2")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.discord_shard_ids == [0, 1, 2, 5]
    assert settings.admins == ["telegram:1", "discord:2"]
