"""Generations stored by an earlier release replay to the same text.

``data/generations_v0.db`` was written by the bot as it was before sampling moved to ``artifact/``
and options became typed (verse with and without options, Tang verse from a Chinese seed and from
an acrostic, names with and without a prefix, /again), on the tiny models every test uses. Opening
it upgrades its schema; every row must then replay identically.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Invocation
from tests.support.tiny_models import make_tiny_models_dir, make_tiny_tang_model

STORED = Path(__file__).parent / "data" / "generations_v0.db"
OWNERS = {1: "1", 2: "1", 3: "1", 4: "2", 5: "2", 6: "2", 7: "1", 8: "2", 9: "1", 10: "2"}


@pytest.fixture
async def app(bot_settings: Settings, tmp_path: Path) -> AsyncIterator[Bardling]:
    models = make_tiny_models_dir(tmp_path / "models")
    make_tiny_tang_model(models / "tang", temperature=0.9, top_p=0.95)
    database = tmp_path / "old.db"
    shutil.copy(STORED, database)
    settings = bot_settings.model_copy(
        update={"bundled_models_dir": models, "database_url": f"sqlite+aiosqlite:///{database}"}
    )
    async with Bardling(settings) as served:
        yield served


@pytest.mark.parametrize(
    ("generation_id", "user"),
    list(OWNERS.items()),
)
async def test_a_stored_generation_replays_identically(app: Bardling, generation_id: int, user: str) -> None:
    inv = Invocation("telegram", user, f"user {user}", user, "replay", str(generation_id))
    reply = await app.core.handle(inv)
    assert not reply.error, reply.text
    assert "identical to the original" in reply.text, reply.text
