"""The shipped Penn Treebank model: intact, small enough to bundle, and within its perplexity bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifact.manifest import CARD_FILE, Manifest, sha256_file
from training.evaluate_onnx import OnnxBackend

PTB = Path(__file__).resolve().parents[2] / "exported_models" / "ptb"
MAX_BYTES = 12_000_000  # bundled models travel with every checkout
MAX_TEST_PPL = 160.0


def test_shipped_ptb_is_intact_small_and_meets_its_bar() -> None:
    manifest = Manifest.read(PTB)
    onnx_file = PTB / manifest.onnx.file
    assert sha256_file(onnx_file) == manifest.onnx.sha256
    assert sum(p.stat().st_size for p in PTB.iterdir()) < MAX_BYTES
    assert manifest.kind == "prose" and manifest.tokenizer["mode"] == "word"
    assert manifest.corpus.name == "ptb" and manifest.architecture.vocab_size == 10_000
    assert manifest.metrics.test_ppl is not None and manifest.metrics.test_ppl < MAX_TEST_PPL
    assert "test perplexity" in (PTB / CARD_FILE).read_text("utf-8")
    backend = OnnxBackend(onnx_file, manifest.onnx.state)
    eos = manifest.build_tokenizer().eos_id
    logits, _ = backend.step(np.full(2, eos, dtype=np.int64), backend.initial_state(2))
    assert logits.shape == (2, 10_000) and np.isfinite(logits).all()
