"""Fixtures shared by the whole suite: database URLs for each backend, and a whole bot on tiny models."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.app import Bardling
from bot.config import Settings
from bot.core.i18n import ENGLISH, language
from tests.support.postgres import PostgresServer, postgres_server
from tests.support.tiny_models import make_tiny_models_dir

# The same examples on every run (a test that passes only sometimes is a defect); set
# HYPOTHESIS_PROFILE=explore to search with fresh randomness when hunting for new cases.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

__all__ = ["postgres_server"]

# The console speaks BARDLING_LOCALE, else the terminal's language (LC_ALL, LC_MESSAGES, LANG): the
# suite expects English wherever it does not ask for another, on any machine, in console
# subprocesses too (some drop every BARDLING_ variable).
os.environ["BARDLING_LOCALE"] = "en"
if any(language(os.environ.get(name)) != ENGLISH for name in ("LC_ALL", "LC_MESSAGES", "LANG")):
    os.environ["LC_ALL"] = "C.UTF-8"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, then (same test again) a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bardling.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return await server.create_database()


@pytest.fixture
def tiny_models(tmp_path: Path) -> Path:
    """A bundled-models directory with a tiny ``shakespeare`` (verse) and ``dinos`` (names) model."""
    return make_tiny_models_dir(tmp_path / "exported_models")


@pytest.fixture
def bot_settings(tmp_path: Path, tiny_models: Path) -> Settings:
    """Settings for a bot on the tiny models, a temp data dir (SQLite) and a generous rate limit."""
    return Settings(
        data_dir=tmp_path / "data",
        bundled_models_dir=tiny_models,
        database_url=None,
        admins=[],
        rate_limit_per_minute=600,
        rate_limit_burst=1000,
        engine_threads=1,
    )


@pytest.fixture
async def bot_app(bot_settings: Settings) -> AsyncIterator[Bardling]:
    async with Bardling(bot_settings) as app:
        yield app


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Tests that configure the root logger (as ``bardling run`` does) give pytest's handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
