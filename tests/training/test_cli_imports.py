"""``bardling`` runs its commands that do not serve without loading ONNX Runtime or PyTorch: the
imports cost time and memory no one uses (a run with ``--help`` stands for each command's start)."""

from __future__ import annotations

import subprocess
import sys

COMMANDS = [
    ["--help"],
    ["train", "--help"],
    ["compare", "--help"],
    ["evaluate", "--help"],
    ["jobs", "--help"],
]
CHECK = f"""
import sys
from typer.testing import CliRunner
from bot.cli import app
for args in {COMMANDS!r}:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
loaded = [m for m in ("onnxruntime", "torch") if m in sys.modules]
sys.exit(f"loaded: {{loaded}}" if loaded else 0)
"""


def test_commands_that_do_not_serve_leave_the_runtimes_unloaded() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
