"""The pieces of a job on their own: options, the gate, following metrics.jsonl, the child process."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact.manifest import Manifest
from artifact.run_config import TrainConfig
from bot.core.errors import UserError
from bot.jobs.gate import ExportProblem, check_export, judge
from bot.jobs.options import describe, train_argv, training_settings
from bot.jobs.process import run_stage
from bot.jobs.progress import MetricsTail
from bot.jobs.text import duration
from tests.support.tiny_models import make_tiny_model

INHERITED = {
    "corpus": "dinos",
    "mode": "line",
    "lowercase": True,
    "arch": "gru",
    "hidden": 512,
    "steps": 2000,
}


# ----------------------------------------------------------------------------------- options
def test_a_retrain_keeps_the_served_settings_unless_told_otherwise() -> None:
    settings = training_settings(INHERITED, {"hidden": 64, "cell": "LSTM", "epochs": 2.5}, new_model=False)
    kept = {"mode": "line", "lowercase": True, "arch": "lstm", "hidden": 64, "epochs": 2.5}
    assert {k: settings[k] for k in kept} == kept and "steps" not in settings
    assert settings["weight_decay"] == TrainConfig(corpus="").weight_decay  # not recorded: the default
    argv = train_argv("dinos", settings, threads=1)
    assert (
        argv[:2] == ["train", "dinos"]
        and "--lowercase" in argv
        and argv[-3:] == ["--threads", "1", "--quiet"]
    )
    assert argv[argv.index("--arch") + 1] == "lstm" and argv[argv.index("--epochs") + 1] == "2.5"
    assert "--steps" not in argv and "--corpus" not in argv
    assert describe(settings) == "LSTM 1×64, 2.5 epochs"


@pytest.mark.parametrize(
    ("chosen", "error"),
    [
        ({"steps": 5, "epochs": 1.0}, "Give steps or epochs, not both."),
        ({"mode": "char"}, "mode is fixed for an existing model"),
        ({"cell": "cnn"}, "cell must be one of rnn, gru, lstm."),
        ({"layers": 9}, "layers must be from 1 to 8."),
        ({"lr": "fast"}, "lr must be a number."),
        ({"colour": "red"}, "Unknown option colour"),
    ],
)
def test_bad_options_are_refused(chosen: dict[str, object], error: str) -> None:
    with pytest.raises(UserError, match=error):
        training_settings(INHERITED, chosen, new_model=False)


@given(steps=st.integers(1, 1_000_000), hidden=st.integers(1, 4096), lr=st.floats(1e-6, 1.0))
def test_every_valid_choice_reaches_the_trainer(steps: int, hidden: int, lr: float) -> None:
    settings = training_settings({}, {"steps": steps, "hidden": hidden, "lr": lr}, new_model=True)
    argv = train_argv("corpus.txt", settings, threads=2)
    assert int(argv[argv.index("--steps") + 1]) == steps
    assert int(argv[argv.index("--hidden") + 1]) == hidden
    assert float(argv[argv.index("--lr") + 1]) == lr


def test_durations_read_naturally() -> None:
    assert [duration(s) for s in (0.4, 59, 65, 3600 + 120)] == ["0s", "59s", "1m05s", "1h02m"]


# ----------------------------------------------------------------------------------- gate
@functools.cache
def _tiny_manifest() -> Manifest:
    with tempfile.TemporaryDirectory() as directory:
        return Manifest.read(make_tiny_model(Path(directory) / "m", name="m"))


def _with_loss(val_loss: float) -> Manifest:
    base = _tiny_manifest()
    return base.model_copy(update={"metrics": base.metrics.model_copy(update={"val_loss": val_loss})})


@given(old=st.floats(0.1, 10), delta=st.floats(-5, 5), tolerance=st.floats(0, 1))
def test_the_gate_accepts_exactly_what_is_within_tolerance(
    old: float, delta: float, tolerance: float
) -> None:
    verdict = judge(_with_loss(old + delta), _with_loss(old), tolerance)
    assert verdict.accepted == (old + delta <= old + tolerance)
    assert f"{old + delta:.3f}" in verdict.explanation and f"{old:.3f}" in verdict.explanation


def test_a_first_version_needs_no_comparison(tmp_path: Path) -> None:
    manifest = Manifest.read(make_tiny_model(tmp_path / "m", name="m"))
    verdict = judge(manifest, None, 0.02)
    assert verdict.accepted and verdict.explanation == "validation loss 1.500; nothing was served before"


def test_exports_that_are_not_what_was_asked_for_are_refused(tmp_path: Path) -> None:
    served = Manifest.read(make_tiny_model(tmp_path / "served", name="m"))
    good = make_tiny_model(tmp_path / "v2", name="m", version="v2")
    assert check_export(good, name="m", version="v2", served=served).version == "v2"
    with pytest.raises(ExportProblem, match="is m v2, not other v2"):
        check_export(good, name="other", version="v2", served=served)
    names = make_tiny_model(tmp_path / "names", name="m", version="v2", mode="line")
    with pytest.raises(ExportProblem, match="makes names, the served version verse"):
        check_export(names, name="m", version="v2", served=served)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportProblem, match="no readable manifest"):
        check_export(tmp_path / "empty", name="m", version="v2", served=served)
    (good / "model.onnx").write_bytes(b"garbage")
    with pytest.raises(ExportProblem, match="does not match its manifest checksum"):
        check_export(good, name="m", version="v2", served=served)


# ----------------------------------------------------------------------------------- metrics.jsonl
def test_progress_is_read_as_it_is_written_even_half_lines(tmp_path: Path) -> None:
    tail = MetricsTail(tmp_path)
    assert tail.read().fraction == 0.0  # no file yet
    first = json.dumps({"event": "progress", "step": 5, "total_steps": 20, "loss": 2.5, "eta_s": 9.0})
    second = json.dumps({"event": "eval", "step": 10, "total_steps": 20, "val_loss": 2.1})
    with (tmp_path / "metrics.jsonl").open("w") as fh:
        fh.write(first + "\n" + second[:10])
    progress = tail.read()
    assert (progress.step, progress.loss, progress.val_loss, progress.fraction) == (5, 2.5, None, 0.25)
    with (tmp_path / "metrics.jsonl").open("a") as fh:
        fh.write(second[10:] + "\nnot json\n" + json.dumps({"event": "error", "message": "boom"}) + "\n")
    progress = tail.read()
    assert (progress.step, progress.val_loss, progress.error) == (10, 2.1, "boom")


# ----------------------------------------------------------------------------------- the child process
async def test_a_stage_is_killed_with_its_process_group_when_told(tmp_path: Path) -> None:
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); print('started', flush=True); time.sleep(60)"  # noqa: E501
    checks = 0

    async def check() -> str | None:
        nonlocal checks
        checks += 1
        return "cancelled" if "started" in (tmp_path / "log").read_text() else None

    finished = await run_stage(
        [sys.executable, "-c", script], log_path=tmp_path / "log", nice=0, poll_s=0.05, check=check
    )
    assert finished.stopped == "cancelled" and finished.returncode == -signal.SIGKILL and checks >= 1
    assert finished.describe() == "stopped: cancelled"


async def test_a_cancelled_caller_leaves_no_process(tmp_path: Path) -> None:
    async def never() -> None:
        return None

    task = asyncio.create_task(
        run_stage(
            [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"],
            log_path=tmp_path / "log",
            nice=0,
            poll_s=0.05,
            check=never,
        )
    )
    while True:
        if _text(tmp_path / "log"):
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(int(_text(tmp_path / "log")), 0)


def test_the_child_runs_at_lower_priority_and_dies_with_its_parent(tmp_path: Path) -> None:
    """A middle process starts the child wrapper and is then killed: the child must not survive it."""
    pid_file = tmp_path / "pid"
    child = [
        sys.executable,
        "-m",
        "bot.jobs.child",
        "5",
        sys.executable,
        "-c",
        f"import os, time; open({str(pid_file)!r}, 'w').write(f'{{os.getpid()}} {{os.nice(0)}}'); "
        "time.sleep(60)",
    ]
    middle = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, time; subprocess.Popen({child!r}); time.sleep(60)"]
    )
    try:
        while not pid_file.is_file() or " " not in pid_file.read_text():
            time.sleep(0.02)
        pid, nice = map(int, pid_file.read_text().split())
        assert nice == os.nice(0) + 5
        middle.kill()
        middle.wait()
        while _alive(pid):
            time.sleep(0.02)  # the suite's timeout fails this test if the child outlives its parent
    finally:
        middle.kill()


def _text(path: Path) -> str:
    return path.read_text().strip() if path.is_file() else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.is_file() and status.read_text().split()[2] == "Z")  # a zombie is dead


def test_the_bot_side_of_retraining_never_loads_torch() -> None:
    code = (
        "import sys, bot.app, bot.cli, bot.jobs.worker, bot.jobs.service, bot.jobs.commands; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.skipif(not Path("/proc/self/autogroup").is_file(), reason="no autogroup scheduling here")
async def test_a_stage_runs_in_its_own_lower_priority_scheduling_group(tmp_path: Path) -> None:
    async def never() -> None:
        return None

    ours = _text(Path("/proc/self/autogroup"))
    finished = await run_stage(
        ["cat", "/proc/self/autogroup"], log_path=tmp_path / "log", nice=7, poll_s=0.05, check=never
    )
    assert finished.ok and _text(tmp_path / "log").endswith("nice 7")
    assert _text(Path("/proc/self/autogroup")) == ours  # the bot's own group is untouched
