"""A one-poem-per-line corpus registered as verse exports as a verse model with whole poems as samples."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from artifact.corpora import CORPORA, CorpusFile, CorpusSpec
from training.config import TrainConfig
from training.export import export_run
from training.trainer import RunOptions, train

POEMS = [
    "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。",
    "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
    "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
]


def test_verse_lines_export_as_verse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = "".join(f"诗{i}:{poem}\n" for i, poem in enumerate(POEMS * 4)).encode()
    spec = CorpusSpec(
        "toy_poems",
        "lines",
        (CorpusFile("toy_poems.txt", hashlib.sha256(raw).hexdigest()),),
        line_body_after=":",
        serves="verse",
    )
    monkeypatch.setitem(CORPORA, spec.name, spec)
    (tmp_path / "toy_poems.txt").write_bytes(raw)
    options = RunOptions(
        corpora_dir=tmp_path, cache_dir=tmp_path / "cache", device="cpu", show_progress=False
    )
    config = TrainConfig(corpus=spec.name, hidden=16, emb=8, batch=4, steps=6, eval_every=3, warmup=1)
    train(tmp_path / "run", options, config)

    manifest = export_run(tmp_path / "run", tmp_path / "out", name="poems", version="1", corpora_dir=tmp_path)
    assert manifest.kind == "verse" and "one-poem-per-line" in manifest.description
    assert manifest.generation.max_tokens == len(POEMS[0]) + 2  # the longest poem, its </s>, one spare
    assert len(manifest.samples) == 4
    # Each sample is one poem drawn from <s> to </s>, never several run together.
    assert all(len(s) <= manifest.generation.max_tokens for s in manifest.samples)
    assert not {"诗", ":", "0"} & set(manifest.build_tokenizer().vocab)  # titles never reach the model
