"""Small texts the training tests build themselves, and a run directory factory."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.trainer import RunOptions

VERSE = (
    "Shall I compare thee to a summer's day?\n"
    "Thou art more lovely and more temperate:\n"
    "Rough winds do shake the darling buds of May,\n"
    "And summer's lease hath all too short a date.\n"
) * 8
NAMES = [
    "aardonyx", "abelisaurus", "achelousaurus", "achillobator", "acrocanthosaurus", "aegyptosaurus",
    "afrovenator", "agilisaurus", "alamosaurus", "albertaceratops", "albertosaurus", "alectrosaurus",
    "allosaurus", "alvarezsaurus", "amargasaurus", "ammosaurus", "ampelosaurus", "amygdalodon",
    "anchiceratops", "anchisaurus", "ankylosaurus", "anserimimus", "antarctosaurus", "apatosaurus",
]  # fmt: skip


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


def corpora_dir() -> Path | None:
    """The verified corpora, when this checkout has them (``BARDLING_CORPORA_DIR``)."""
    value = os.environ.get("BARDLING_CORPORA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


needs_corpora = pytest.mark.skipif(
    corpora_dir() is None, reason="BARDLING_CORPORA_DIR is not set to the verified corpora directory"
)
