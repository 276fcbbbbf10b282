"""``bardling run``: clean shutdown on SIGTERM, and a clear one-line error for a missing token."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from tests.console.test_console import chat_env
from tests.support.processes import reaped

RUN = [sys.executable, "-c", "from bot.cli import app; app()", "run"]


async def test_sigterm_stops_the_bot_cleanly(tmp_path: Path, tiny_models: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *RUN, "--transport", "console", env=chat_env(tmp_path, tiny_models),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    async with reaped(proc):
        proc.stdin.write(b"/poem O\n")  # stdin stays open: only the signal can end the run
        await proc.stdin.drain()
        while not (await asyncio.wait_for(proc.stdout.readline(), 60)).startswith(b"#1 "):
            pass
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err


def test_a_missing_token_is_one_clear_line(tmp_path: Path, tiny_models: Path) -> None:
    for transport, variable in (
        ("telegram", "BARDLING_TELEGRAM_TOKEN"),
        ("discord", "BARDLING_DISCORD_TOKEN"),
    ):
        result = subprocess.run(
            [*RUN, "--transport", "console", "--transport", transport],
            env=chat_env(tmp_path, tiny_models), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2
        assert len(lines) == 1 and lines[0].startswith(f"{variable} is not set"), result.stderr


def test_an_invalid_setting_is_one_clear_line_without_secrets(tmp_path: Path, tiny_models: Path) -> None:
    secret = "123456:not-to-be-printed-anywhere-at-all-xyz"
    env = chat_env(tmp_path, tiny_models, BARDLING_DEVICE="tpu", BARDLING_TELEGRAM_TOKEN=secret)
    bardling = RUN[:-1]
    for command in (RUN, [*bardling, "chat"], [*bardling, "poem", "x"], [*bardling, "jobs", "list"]):
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, result.stderr
        assert len(lines) == 1 and lines[0].startswith("invalid setting BARDLING_DEVICE: "), result.stderr
        assert secret not in result.stderr + result.stdout
