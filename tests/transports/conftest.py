"""Fixtures: settings for a bot on tiny models, and the fake Telegram and Discord servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.support.tiny_models import make_tiny_models_dir
from tests.transports.bots import DISCORD_ADMIN, TELEGRAM_ADMIN

MakeSettings = Callable[..., Settings]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_models_dir(tmp_path_factory.mktemp("models") / "exported_models")


@pytest.fixture
def make_settings(tmp_path: Path, tiny_models: Path) -> MakeSettings:
    """Settings for one bot; every call gives the same data dir, so a restart finds the same database."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "bundled_models_dir": tiny_models,
            "device": "cpu",
            "engine_threads": 1,
            "rate_limit_burst": 50,
            "rate_limit_per_minute": 600.0,
            "admins": [f"telegram:{TELEGRAM_ADMIN}", f"discord:{DISCORD_ADMIN}"],
            **overrides,
        }
        return Settings(**values)

    return make


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", fake.gateway_url)
        yield fake
