"""The training loop, through ``training.trainer.train``: learning, exact resume, clean stops, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from artifact.run_metrics import MetricsLog
from training.config import TrainConfig
from training.trainer import RunOptions, TrainingError, train


def _events(run_dir: Path, kind: str) -> list[dict]:
    return [e for e in MetricsLog(run_dir).events() if e["event"] == kind]


def test_tiny_model_overfits_tiny_corpus(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    config = tiny_config(verse_file, hidden=64, steps=150, eval_every=50, lr=2e-2)
    summary = train(tmp_path / "run", options, config)
    progress = _events(tmp_path / "run", "progress")
    assert progress[0]["loss"] > 2.5
    assert progress[-1]["loss"] < 0.6  # four repeated lines: learnt almost by heart
    assert summary["metrics"]["val_loss"] < 1.0
    assert {"windowed_256_loss", "val_bpc", "val_ppl"} <= summary["metrics"].keys()
    for name in ("config.json", "metrics.jsonl", "loss.png", "summary.json", "checkpoints/best.pt"):
        assert (tmp_path / "run" / name).is_file(), name


def test_resumed_run_matches_an_uninterrupted_one(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    options.log_every = 1
    train(tmp_path / "whole", options, tiny_config(verse_file, dropout=0.2))

    calls = {"n": 0}

    def stop_after_13() -> bool:
        calls["n"] += 1
        return calls["n"] > 13

    stopping = RunOptions(**{**options.__dict__, "should_stop": stop_after_13})
    partial = train(tmp_path / "broken", stopping, tiny_config(verse_file, dropout=0.2))
    assert partial == {"stopped": "interrupted", "step": 13, "run_dir": str(tmp_path / "broken")}
    train(tmp_path / "broken", options)  # --resume

    whole = [(e["step"], e["loss"]) for e in _events(tmp_path / "whole", "progress")]
    resumed = [(e["step"], e["loss"]) for e in _events(tmp_path / "broken", "progress")]
    assert resumed == whole
    assert [e["val_loss"] for e in _events(tmp_path / "broken", "eval")] == [
        e["val_loss"] for e in _events(tmp_path / "whole", "eval")
    ]
    assert len(_events(tmp_path / "broken", "done")) == 1


def test_line_corpus_reports_novelty(
    tmp_path: Path, names_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    summary = train(tmp_path / "run", options, tiny_config(names_file, mode="line", steps=10))
    novelty = summary["metrics"]["novelty"]
    assert novelty["samples"] == 1000
    assert novelty["in_train"] + novelty["in_val"] + novelty["new"] + novelty["empty"] == pytest.approx(1.0)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["config"]["mode"] == "line" and config["corpus"]["name"] == "names"


def test_epochs_set_the_number_of_steps(
    tmp_path: Path, names_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    config = tiny_config(names_file, mode="line", steps=None, epochs=2, batch=8)
    summary = train(tmp_path / "run", options, config)
    assert summary["metrics"]["steps"] == 2 * 3  # 22 training lines in batches of 8


def test_time_limit_stops_cleanly_with_the_best_checkpoint(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    options.max_minutes = 0.0
    summary = train(tmp_path / "run", options, tiny_config(verse_file))
    assert summary["stopped"] == "time limit"
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
    done = _events(tmp_path / "run", "done")
    assert done[-1]["stopped"] == "time limit"


def test_diverging_loss_stops_with_an_error_event(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    config = tiny_config(verse_file, lr=1e30, clip=1e30, warmup=1, eval_every=100, steps=100)
    with pytest.raises(TrainingError, match=r"loss became (NaN|infinite) at step \d+"):
        train(tmp_path / "run", options, config)
    errors = _events(tmp_path / "run", "error")
    assert len(errors) == 1 and errors[0]["message"].startswith("loss became")
    assert not _events(tmp_path / "run", "done")


def test_bad_settings_are_refused_before_training(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    with pytest.raises(ValueError, match="--dropout"):
        train(tmp_path / "run", options, tiny_config(verse_file, dropout=1.5))
    with pytest.raises(TrainingError, match="too few"):
        train(tmp_path / "run2", options, tiny_config(verse_file, batch=512, seq_len=512))


def test_word_mode_reports_perplexity_not_bits_per_character(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    summary = train(tmp_path / "run", options, tiny_config(verse_file, mode="word", seq_len=4, steps=6))
    metrics = summary["metrics"]
    assert metrics["val_bpc"] is None and metrics["val_ppl"] > 1
    assert "windowed_256_loss" not in metrics


def test_resume_refuses_a_changed_corpus(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    stopping = RunOptions(**{**options.__dict__, "should_stop": lambda: True})
    train(tmp_path / "run", stopping, tiny_config(verse_file))
    verse_file.write_text("something else entirely\n" * 40, "utf-8")
    with pytest.raises(TrainingError, match="has changed since this run started"):
        train(tmp_path / "run", options)
