"""The models shipped in ``exported_models/`` load, are intact, and meet their quality bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from artifact.manifest import CARD_FILE, Manifest, sha256_file
from training.evaluate_onnx import OnnxBackend

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"


@pytest.mark.parametrize("name", ["shakespeare", "dinos", "sonnets"])
def test_shipped_model_is_intact_and_runs(name: str) -> None:
    directory = SHIPPED / name
    manifest = Manifest.read(directory)
    assert sha256_file(directory / manifest.onnx.file) == manifest.onnx.sha256
    assert (directory / CARD_FILE).read_text("utf-8").startswith(f"# {name} ")
    backend = OnnxBackend(directory / manifest.onnx.file, manifest.onnx.state)
    logits, _ = backend.step(np.zeros(3, dtype=np.int64), backend.initial_state(3))
    assert logits.shape == (3, manifest.architecture.vocab_size) and np.isfinite(logits).all()


def test_shakespeare_meets_its_bar() -> None:
    manifest = Manifest.read(SHIPPED / "shakespeare")
    assert manifest.kind == "verse" and manifest.architecture.cell in ("gru", "lstm")
    assert manifest.corpus.name == "shakespeare"
    assert manifest.metrics.val_loss <= 1.48


def test_dinos_meets_its_bar() -> None:
    manifest = Manifest.read(SHIPPED / "dinos")
    assert manifest.kind == "names" and manifest.metrics.novelty is not None
    assert manifest.metrics.novelty["new"] >= 0.90
