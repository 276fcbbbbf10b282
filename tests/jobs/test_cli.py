"""``bardling jobs …``: the chat's admin commands from a terminal, on the same database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.jobs.conftest import FAKE_TRAINER


@pytest.fixture
def env(tmp_path: Path, bundled: Path) -> dict[str, str]:
    return {
        "BARDLING_DATA_DIR": str(tmp_path / "data"),
        "BARDLING_BUNDLED_MODELS_DIR": str(bundled),
        "BARDLING_RETRAIN_COMMAND": json.dumps([sys.executable, str(FAKE_TRAINER), "ok", str(bundled)]),
        "BARDLING_RETRAIN_POLL_S": "0.05",
        "BARDLING_ENGINE_THREADS": "1",
    }


def test_start_follows_the_job_to_the_end_then_list_show_rollback(env: dict[str, str]) -> None:
    runner = CliRunner()
    started = runner.invoke(app, ["jobs", "start", "shakespeare", "steps:5"], env=env)
    assert started.exit_code == 0, started.output
    assert "Job #1 queued: train shakespeare on shakespeare — GRU 1×16, 5 steps." in started.output
    assert "✅ Job #1: shakespeare now serves version" in started.output
    assert "Samples from the new version:" in started.output and "Loss curve: " in started.output

    listed = runner.invoke(app, ["jobs", "list"], env=env)
    assert listed.exit_code == 0 and "✅ Job #1 · shakespeare · succeeded — Gate passed" in listed.output
    shown = runner.invoke(app, ["jobs", "show", "1"], env=env)
    assert shown.exit_code == 0 and "Requested by cli:" in shown.output

    rolled = runner.invoke(app, ["jobs", "rollback", "shakespeare"], env=env)
    assert rolled.exit_code == 0 and "shakespeare now serves version 1" in rolled.output
    refused = runner.invoke(app, ["jobs", "cancel", "1"], env=env)
    assert refused.exit_code == 1 and "Job #1 has already ended (succeeded)." in refused.output


def test_detach_only_queues_and_errors_exit_non_zero(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    queued = runner.invoke(app, ["jobs", "start", "dinos", "steps:5", "--detach"], env=env)
    assert queued.exit_code == 0 and "Job #1 queued" in queued.output
    assert "⏳ Job #1 · dinos · queued" in runner.invoke(app, ["jobs", "list"], env=env).output
    cancelled = runner.invoke(app, ["jobs", "cancel", "1"], env=env)
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    refused = runner.invoke(app, ["jobs", "start", "fresh", "--corpus", str(bad)], env=env)
    assert refused.exit_code == 1 and "not UTF-8 text" in refused.output
    unknown = runner.invoke(app, ["jobs", "show", "7"], env=env)
    assert unknown.exit_code == 1 and "There is no job #7" in unknown.output
