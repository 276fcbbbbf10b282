"""The shipped ``tang`` model: intact, small, a verse line model, and its bars."""

from __future__ import annotations

from pathlib import Path

from artifact.manifest import CARD_FILE, Manifest, sha256_file

TANG = Path(__file__).resolve().parents[2] / "exported_models" / "tang"


def test_tang_is_an_intact_small_verse_line_model() -> None:
    manifest = Manifest.read(TANG)
    assert sha256_file(TANG / manifest.onnx.file) == manifest.onnx.sha256
    assert (TANG / CARD_FILE).read_text("utf-8").startswith("# tang ")
    assert (TANG / manifest.onnx.file).stat().st_size < 10_000_000
    tokenizer = manifest.build_tokenizer()
    assert manifest.kind == "verse" and tokenizer.mode == "line" and tokenizer.unk is not None
    assert manifest.generation.max_tokens >= 65  # eight clauses of seven, then </s>
    assert manifest.metrics.val_loss <= 4.7
