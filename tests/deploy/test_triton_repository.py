"""The Triton copy of a step graph computes what the exported one does, with batch-first state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from artifact.manifest import Manifest
from tests.support.tiny_models import Cell, make_tiny_model

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "triton_repository.py"


def steps(session: ort.InferenceSession, manifest: Manifest, *, batch_first: bool) -> list[np.ndarray]:
    """Logits of three steps of a batch of three sequences, state fed back each time."""
    batch = 3
    shape = (
        (lambda s: (batch, s.layers, s.hidden)) if batch_first else (lambda s: (s.layers, batch, s.hidden))
    )
    state = {s.input: np.zeros(shape(s), np.float32) for s in manifest.onnx.state}
    outputs = ["logits", *(s.output for s in manifest.onnx.state)]
    logits = []
    for tokens in ([1, 2, 3], [4, 5, 6], [7, 8, 9]):
        got = session.run(outputs, {"tokens": np.array(tokens, np.int64)[:, None], **state})
        logits.append(got[0])
        state = {s.input: value for s, value in zip(manifest.onnx.state, got[1:], strict=True)}
    return logits


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_repository_model_matches_the_exported_one(tmp_path: Path, cell: Cell) -> None:
    exported = make_tiny_model(tmp_path / "exported" / "verse", name="verse", cell=cell)
    command = [sys.executable, str(SCRIPT), "--out", str(tmp_path / "repo"), "--max-batch-size", "64"]
    result = subprocess.run([*command, str(exported)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    manifest = Manifest.read(exported)
    original = ort.InferenceSession(str(exported / "model.onnx"), providers=["CPUExecutionProvider"])
    triton = ort.InferenceSession(
        str(tmp_path / "repo/verse/1/model.onnx"), providers=["CPUExecutionProvider"]
    )
    for a, b in zip(
        steps(original, manifest, batch_first=False), steps(triton, manifest, batch_first=True), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    config = (tmp_path / "repo/verse/config.pbtxt").read_text()
    assert 'name: "verse"' in config and "max_batch_size: 64" in config
    assert config.count("zero_data: true") == len(manifest.onnx.state)
    assert f"dims: [ 1, {manifest.architecture.hidden} ]" in config
    assert f"dims: [ {manifest.architecture.vocab_size} ]" in config


def test_a_directory_without_a_model_is_a_short_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path / "repo"), str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "manifest.json" in result.stderr and "Traceback" not in result.stderr
