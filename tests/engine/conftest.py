"""Engines over tiny random models written into each test's temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine import Engine
from tests.support.tiny_models import make_tiny_models_dir


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    return make_tiny_models_dir(tmp_path / "exported_models")


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
async def engine(bundled: Path, models_dir: Path) -> AsyncIterator[Engine]:
    async with Engine(bundled, models_dir, device="cpu", threads=1) as served:
        yield served
