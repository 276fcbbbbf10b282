"""What ``bardling train`` shows a person: samples at each evaluation, where the plot is and what to
run next, optional TensorBoard files; and a start that fails leaves no empty run directory."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.training.test_cli import TINY


def _train(tmp_path: Path, *args: str) -> Any:
    env = {"BARDLING_CORPORA_DIR": ""}
    return CliRunner().invoke(app, ["train", *args, "--device", "cpu", "--data-dir", str(tmp_path)], env=env)


def _done(run: Path) -> dict[str, Any]:
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return next(e for e in events if e["event"] == "done")


def test_samples_at_each_evaluation_then_the_plot_and_the_export_command(
    tmp_path: Path, verse_file: Path
) -> None:
    run = tmp_path / "run"
    result = _train(tmp_path, str(verse_file), *TINY, "--run-dir", str(run))
    assert result.exit_code == 0, result.output
    assert "step 3:" in result.output and "step 6:" in result.output
    assert f"loss curve: {run / 'loss.png'}" in result.output
    assert f"next: bardling export {run} --name verse" in result.output
    quiet = tmp_path / "quiet"
    assert _train(tmp_path, str(verse_file), *TINY, "--run-dir", str(quiet), "--quiet").exit_code == 0
    assert _done(quiet)["val_loss"] == _done(run)["val_loss"]  # sampling never touched the training RNG


def test_a_names_model_shows_a_few_names(tmp_path: Path, names_file: Path) -> None:
    result = _train(tmp_path, str(names_file), "--mode", "line", *TINY, "--run-dir", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    shown = result.output.split("step 6:\n", 1)[1].splitlines()
    assert len(shown) >= 3


def test_tensorboard_event_files_when_asked(tmp_path: Path, verse_file: Path) -> None:
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    result = _train(tmp_path, str(verse_file), *TINY, "--run-dir", str(run), "--quiet", "--tensorboard")
    assert result.exit_code == 0, result.output
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))


def test_without_tensorboard_the_run_trains_and_says_so(
    tmp_path: Path, verse_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_tensorboard(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith(("torch.utils.tensorboard", "tensorboard")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    run = tmp_path / "run"
    result = _train(tmp_path, str(verse_file), *TINY, "--run-dir", str(run), "--quiet", "--tensorboard")
    assert result.exit_code == 0, result.output
    assert "TensorBoard is not installed" in result.output
    assert (run / "loss.png").is_file() and not (run / "tensorboard").exists()


@pytest.mark.parametrize("where", ["default", "--run-dir"])
def test_a_start_that_fails_leaves_no_run_directory(tmp_path: Path, where: str) -> None:
    args = ["no-such-corpus", *TINY] + (
        ["--run-dir", str(tmp_path / "runs" / "mine")] if where != "default" else []
    )
    result = _train(tmp_path, *args)
    assert result.exit_code == 1 and "no-such-corpus" in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_run_directory_made_beforehand_stays(tmp_path: Path) -> None:
    run = tmp_path / "job-1"  # as a retraining job makes it, with its own log inside
    run.mkdir()
    (run / "job.log").write_text("started\n")
    assert _train(tmp_path, "no-such-corpus", *TINY, "--run-dir", str(run)).exit_code == 1
    assert (run / "job.log").is_file()
