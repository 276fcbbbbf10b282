"""Fixtures for the training tests: small corpus files, run options, a tiny model configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.trainer import RunOptions

from .texts import NAMES, VERSE


@pytest.fixture
def verse_file(tmp_path: Path) -> Path:
    path = tmp_path / "verse.txt"
    path.write_text(VERSE, "utf-8")
    return path


@pytest.fixture
def names_file(tmp_path: Path) -> Path:
    path = tmp_path / "names.txt"
    path.write_text("\n".join(NAMES) + "\n", "utf-8")
    return path


@pytest.fixture
def options(tmp_path: Path) -> RunOptions:
    return RunOptions(corpora_dir=None, cache_dir=tmp_path / "cache", device="cpu", show_progress=False)


@pytest.fixture
def tiny_config() -> Callable[..., TrainConfig]:
    """A model small enough that a few dozen steps take well under a second."""

    def make(corpus: Path, **overrides: object) -> TrainConfig:
        settings: dict[str, object] = {
            "corpus": str(corpus), "hidden": 32, "emb": 8, "batch": 4, "seq_len": 16,
            "steps": 20, "eval_every": 10, "warmup": 2, "lr": 1e-2, "dropout": 0.0,
        }  # fmt: skip
        settings.update(overrides)
        return TrainConfig(**settings)  # type: ignore[arg-type]

    return make
