"""Export: a single-step ONNX graph that matches PyTorch, or nothing at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch

from artifact.lexicon import LEXICON_FILE, WORDS_FILE, Lexicon
from artifact.manifest import MANIFEST_FILE, ONNX_FILE, Manifest, sha256_file
from training import export as export_module
from training.config import TrainConfig
from training.evaluate import evaluate_run
from training.evaluate_onnx import evaluate_model_dir
from training.export import ExportError, export_run
from training.trainer import RunOptions, train

from .texts import NAMES, VERSE


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One trained tiny run per cell type (GRU on verse; LSTM, two layers, on names)."""
    root = tmp_path_factory.mktemp("runs")
    (root / "verse.txt").write_text(VERSE, "utf-8")
    (root / "names.txt").write_text("\n".join(NAMES), "utf-8")
    options = RunOptions(corpora_dir=None, cache_dir=root / "cache", device="cpu", show_progress=False)
    common: dict[str, Any] = {
        "hidden": 24,
        "emb": 8,
        "batch": 4,
        "seq_len": 16,
        "steps": 12,
        "eval_every": 6,
        "warmup": 2,
    }
    train(root / "gru", options, TrainConfig(corpus=str(root / "verse.txt"), arch="gru", **common))
    lstm = TrainConfig(corpus=str(root / "names.txt"), mode="line", arch="lstm", layers=2, **common)
    train(root / "lstm", options, lstm)
    return {"gru": root / "gru", "lstm": root / "lstm", "cache": root / "cache"}


def test_export_writes_a_single_step_graph_and_manifest(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "models" / "verse" / "1"
    manifest = export_run(runs["gru"], out, name="verse", version="1")
    written = sorted(p.name for p in out.iterdir())
    assert written == ["README.md", LEXICON_FILE, MANIFEST_FILE, ONNX_FILE, WORDS_FILE]
    assert Manifest.read(out) == manifest
    rules = manifest.decoding  # a verse model is served with its corpus's words and verse endings
    assert rules.lexicon == LEXICON_FILE and rules.lexicon_sha256 == sha256_file(out / LEXICON_FILE)
    assert rules.sentence_end and rules.line_capitals and rules.form is None
    assert Lexicon.read(out / LEXICON_FILE) == Lexicon.from_text(VERSE)
    assert "a word may only end where it spells a word of the corpus" in (out / "README.md").read_text()
    assert manifest.onnx.sha256 == sha256_file(out / ONNX_FILE)
    assert manifest.kind == "verse" and manifest.samples and manifest.training["parity_max_abs_diff"] <= 1e-4
    assert 0.5 <= manifest.generation.temperature <= 1.0
    graph = onnx.load(str(out / ONNX_FILE)).graph
    assert [i.name for i in graph.input] == ["tokens", "h_in"]
    assert [o.name for o in graph.output] == ["logits", "h_out"]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param  # dynamic batch axis
    assert not any(init.external_data for init in graph.initializer)
    assert onnx.load(str(out / ONNX_FILE)).opset_import[0].version >= 18


def test_lstm_names_model_carries_both_states(runs: dict[str, Path], tmp_path: Path) -> None:
    manifest = export_run(runs["lstm"], tmp_path / "names", name="names", version="1")
    assert [(s.input, s.output, s.layers) for s in manifest.onnx.state] == [
        ("h_in", "h_out", 2),
        ("c_in", "c_out", 2),
    ]
    assert manifest.kind == "names" and manifest.metrics.novelty is not None
    assert manifest.generation.max_tokens >= max(len("achelousaurus"), 8)


def test_parity_failure_refuses_and_writes_nothing(
    runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = export_module.StepGraph.forward

    def skewed(self: export_module.StepGraph, tokens: torch.Tensor, *state: torch.Tensor) -> tuple:
        logits, *rest = original(self, tokens, *state)
        return (logits + 1e-3, *rest)

    monkeypatch.setattr(export_module.StepGraph, "forward", skewed)
    out = tmp_path / "models" / "verse" / "1"
    with pytest.raises(ExportError, match=r"parity check failed: max \|Δ logits\| .* nothing written"):
        export_run(runs["gru"], out, name="verse", version="1")
    assert not out.exists()
    assert list((tmp_path / "models" / "verse").iterdir()) == []  # no staging directory left behind


def test_existing_export_is_kept_unless_forced(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "verse"
    export_run(runs["gru"], out, name="verse", version="1")
    with pytest.raises(ExportError, match="already exists"):
        export_run(runs["gru"], out, name="verse", version="2")
    assert Manifest.read(out).version == "1"
    assert export_run(runs["gru"], out, name="verse", version="2", force=True).version == "2"


def test_onnx_evaluation_matches_pytorch(runs: dict[str, Path], tmp_path: Path) -> None:
    for kind in ("gru", "lstm"):
        out = tmp_path / kind
        export_run(runs[kind], out, name=kind, version="1")
        by_torch = evaluate_run(runs[kind], corpora_dir=None, cache_dir=runs["cache"])
        by_onnx = evaluate_model_dir(out, corpora_dir=None, cache_dir=runs["cache"])
        assert by_onnx["val_loss"] == pytest.approx(by_torch["val_loss"], abs=1e-4)
        if kind == "gru":
            assert by_onnx["windowed_256_loss"] == pytest.approx(by_torch["windowed_256_loss"], abs=1e-4)
        else:
            assert np.isclose(by_onnx["novelty"]["samples"], 1000)
