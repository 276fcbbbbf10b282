"""Small texts the training tests build themselves, and where the real corpora are (if anywhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def corpora_dir() -> Path | None:
    """The verified corpora, when this checkout has them (``BARDLING_CORPORA_DIR``)."""
    value = os.environ.get("BARDLING_CORPORA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


needs_corpora = pytest.mark.skipif(
    corpora_dir() is None, reason="BARDLING_CORPORA_DIR is not set to the verified corpora directory"
)
