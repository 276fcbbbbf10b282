"""A job's ETA covers training and the stages after it (export, measuring, the gate)."""

from __future__ import annotations

from typing import Any

from bot.jobs.eta import AFTER_TRAINING, FIRST_GUESS_FRACTION, FIRST_GUESS_S, after_training_estimate, job_eta
from bot.jobs.text import progress_line


def test_the_stages_after_training_are_timed_by_the_last_job_that_ran_them() -> None:
    earlier: list[tuple[str, dict[str, Any]]] = [
        ("dinos", {}),
        ("tang", {AFTER_TRAINING: 80.0}),
        ("dinos", {AFTER_TRAINING: 12.5}),
        ("dinos", {AFTER_TRAINING: 99}),
    ]
    assert after_training_estimate("dinos", earlier) == 12.5  # newest first, same model first
    assert after_training_estimate("sonnets", earlier) == 80.0  # else any model's
    assert after_training_estimate("dinos", [("dinos", {})]) is None


def test_while_training_the_eta_adds_what_comes_after() -> None:
    metrics = {"eta_s": 100.0, "elapsed_s": 50.0}
    assert job_eta(metrics, estimate=40.0, after_training_so_far=None) == 140.0
    guessed = job_eta(metrics, estimate=None, after_training_so_far=None)
    assert guessed == 100.0 + FIRST_GUESS_S + FIRST_GUESS_FRACTION * 150.0
    assert job_eta({"elapsed_s": 5.0}, estimate=40.0, after_training_so_far=None) is None  # no rate yet


def test_after_training_the_eta_counts_down_to_zero() -> None:
    done = {"eta_s": 0.0, "elapsed_s": 150.0}
    assert job_eta(done, estimate=40.0, after_training_so_far=15.0) == 25.0
    assert job_eta(done, estimate=40.0, after_training_so_far=60.0) == 0.0


def test_the_progress_line_shows_the_job_eta_in_every_running_stage() -> None:
    metrics = {"step": 8, "total_steps": 8, "eta_s": 0.0, "job_eta_s": 25.0}
    assert "ETA 25s" in progress_line(7, "dinos", "running", 1.0, "exporting", metrics)
    training = {"step": 3, "total_steps": 8, "eta_s": 30.0, "job_eta_s": 70.0}
    assert "ETA 1m10s" in progress_line(7, "dinos", "running", 0.4, "training", training)
    old_row = {"step": 3, "total_steps": 8, "eta_s": 30.0}  # written before job ETAs existed
    assert "ETA 30s" in progress_line(7, "dinos", "running", 0.4, "training", old_row)
