"""The ``active`` pin names only retrained versions; rollback goes only to versions that served."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.engine.api import InvalidRequestError
from tests.support.tiny_models import make_tiny_model, make_tiny_version

VERSE = "shakespeare"


async def test_going_back_to_the_bundled_version_leaves_no_pin(engine: Engine, models_dir: Path) -> None:
    make_tiny_version(models_dir, VERSE, "2", seed=5)
    engine.reload()
    await engine.activate(VERSE, "2")
    assert (models_dir / VERSE / "active").read_text().strip() == "2"
    assert await engine.rollback(VERSE) == "1"
    assert not (models_dir / VERSE / "active").exists()
    await engine.rollback(VERSE, "1")  # a no-op rollback to the bundled version pins nothing either
    assert not (models_dir / VERSE / "active").exists()


async def test_a_pin_to_a_missing_version_serves_the_bundled_one_with_a_warning(
    bundled: Path, models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (models_dir / VERSE).mkdir(parents=True)
    (models_dir / VERSE / "active").write_text("1\n")  # left by an older release
    make_tiny_model(bundled / VERSE, name=VERSE, version="2", seed=3)  # this release bumps the bundled one
    with caplog.at_level(logging.WARNING):
        async with Engine(bundled, models_dir, device="cpu", threads=1) as engine:
            assert {m.name: m.version for m in engine.models()}[VERSE] == "2"
    assert any("names version 1, which is not installed" in r.getMessage() for r in caplog.records)


async def test_rollback_goes_only_to_versions_that_served(engine: Engine, models_dir: Path) -> None:
    make_tiny_version(models_dir, VERSE, "2", seed=5)
    make_tiny_version(models_dir, VERSE, "3", seed=6)  # copied in by hand: never served
    engine.reload()
    with pytest.raises(InvalidRequestError, match="never been served"):
        await engine.rollback(VERSE, "3")
    await engine.activate(VERSE, "2")
    await engine.rollback(VERSE, "1")
    assert await engine.rollback(VERSE, "2") == "2"  # it served once: going back to it is a rollback
    assert engine.active_version(VERSE) == "2"
