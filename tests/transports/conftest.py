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
from tests.jobs.conftest import give_training_config, job_settings
from tests.support.tiny_models import make_tiny_models_dir
from tests.transports.bots import DISCORD_ADMIN, TELEGRAM_ADMIN

MakeSettings = Callable[..., Settings]
MB = 1_000_000  # the upload limit the bad-upload tests set
BAD_UPLOADS = pytest.mark.parametrize(  # an admin's corpus upload that must be refused, and why
    ("content", "error"),
    [
        (b"caf\xe9 au lait", "The attached file is not UTF-8 text (byte 3 cannot be decoded)."),
        (b"x" * (MB + 500_000), "The attached file is 1,500,000 bytes; the limit is 1,000,000."),
    ],
    ids=["not-utf8", "too-big"],
)


def check_swap_and_rollback(result: str, rolled: str) -> None:
    """``result`` ends a successful ``/retrain dinos``; ``rolled`` answers the ``/rollback dinos`` after."""
    assert result.startswith("✅ Job #1: dinos now serves version")
    assert "Previous version 1" in result and result.count("\n• ") == 3  # figures, three samples
    new_version = result.split("now serves version ", 1)[1].split(".", 1)[0]
    assert rolled == f"dinos now serves version 1 (was {new_version})."


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
def make_job_settings(tmp_path: Path) -> MakeSettings:
    """Settings for a bot whose ``/retrain`` runs the stand-in trainer of ``tests/jobs`` on tiny models
    (``dinos`` can be retrained); ``scenario`` picks how the trainer behaves."""
    bundled = make_tiny_models_dir(tmp_path / "retrainable")
    give_training_config(bundled, "dinos", {"corpus": "dinos", "mode": "line", "hidden": 16})

    def make(scenario: str = "ok", **overrides: Any) -> Settings:
        admins = [f"telegram:{TELEGRAM_ADMIN}", f"discord:{DISCORD_ADMIN}"]
        return job_settings(tmp_path / "data", bundled, scenario, **{"admins": admins, **overrides})

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
