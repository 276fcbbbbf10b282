"""``bardling train / export / evaluate`` on CPU, end to end, in seconds."""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()
TINY = [
    "--hidden",
    "16",
    "--emb",
    "8",
    "--batch",
    "4",
    "--seq-len",
    "16",
    "--steps",
    "6",
    "--eval-every",
    "3",
]


def _invoke(*args: str, data_dir: Path) -> Any:
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"BARDLING_CORPORA_DIR": ""})


def test_train_export_evaluate(tmp_path: Path, verse_file: Path) -> None:
    run = tmp_path / "run"
    result = _invoke(
        "train", str(verse_file), *TINY, "--device", "cpu", "--run-dir", str(run), data_dir=tmp_path
    )
    assert result.exit_code == 0, result.output
    assert (run / "loss.png").stat().st_size > 0
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"progress", "eval", "done"} <= {e["event"] for e in events}
    assert {"step", "total_steps", "loss", "tokens_per_s", "eta_s", "elapsed_s"} <= events[0].keys()

    result = _invoke("export", str(run), "--name", "verse", "--version", "7", data_dir=tmp_path)
    assert result.exit_code == 0, result.output
    model_dir = tmp_path / "models" / "verse" / "7"
    assert (model_dir / "model.onnx").is_file() and "parity" in result.output

    for target in (str(model_dir), "run"):  # an exported model, then a run by id under --run-dir's parent
        args = [str(model_dir), "--samples", "8"] if target != "run" else [str(run)]
        result = _invoke("evaluate", *args, data_dir=tmp_path)
        assert result.exit_code == 0, result.output
        assert "val_loss" in result.output and "windowed_256_loss" in result.output
        assert ("words in the corpus vocabulary" in result.output) == (target != "run"), result.output

    lexicon = model_dir / "lexicon.txt"  # rules can be re-derived without retraining
    words = lexicon.read_text()
    lexicon.unlink()
    result = _invoke("export-rules", str(model_dir), data_dir=tmp_path)
    assert result.exit_code == 0, result.output
    assert lexicon.read_text() == words and "sentence_end" in result.output


def test_resume_by_run_id(tmp_path: Path, verse_file: Path) -> None:
    run = tmp_path / "runs" / "r1"
    assert _invoke("train", str(verse_file), *TINY, "--run-dir", str(run), data_dir=tmp_path).exit_code == 0
    before = (run / "metrics.jsonl").read_text()
    result = _invoke("train", "--resume", "r1", data_dir=tmp_path)
    assert result.exit_code == 0, result.output
    assert (run / "metrics.jsonl").read_text() == before  # already finished: nothing to do
    result = _invoke("train", str(verse_file), *TINY, "--run-dir", str(run), data_dir=tmp_path)
    assert result.exit_code == 1 and "already holds a run" in result.output
    assert (run / "metrics.jsonl").read_text() == before


def test_unknown_corpus_is_a_short_error(tmp_path: Path) -> None:
    result = _invoke("train", "no-such-corpus", *TINY, data_dir=tmp_path)
    assert result.exit_code == 1
    assert "unknown corpus 'no-such-corpus'" in result.output
    assert "Traceback" not in result.output


def test_bad_options_are_refused(tmp_path: Path, verse_file: Path) -> None:
    result = _invoke("train", str(verse_file), "--arch", "transformer", data_dir=tmp_path)
    assert result.exit_code == 2 and "--arch must be one of rnn | gru | lstm" in result.output
    result = _invoke("train", data_dir=tmp_path)
    assert result.exit_code == 2 and "give a CORPUS" in result.output
    result = _invoke("export", "nowhere", "--name", "x", data_dir=tmp_path)
    assert result.exit_code == 1 and "no training run 'nowhere'" in result.output


def test_missing_torch_names_the_training_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_torch(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    result = _invoke("train", "shakespeare", data_dir=tmp_path)
    assert result.exit_code == 1
    assert "pip install -e '.[train]'" in result.output


def test_onnx_side_never_imports_torch() -> None:
    """The bot and the ONNX evaluator run where PyTorch is not installed."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import training.cli, training.evaluate_onnx, training.scoring, artifact.corpora, training.data\n"
        "import training.decoding, bot.cli.evaluate, bot.quality.served\n"
        "assert sys.modules['torch'] is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
