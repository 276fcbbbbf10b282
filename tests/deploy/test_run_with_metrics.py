"""``bardling run`` serves /metrics and /healthz beside the bot; ``bardling health`` asks it."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.console.test_console import chat_env
from tests.support.processes import reaped

CLI = [sys.executable, "-c", "from bot.cli import app; app()"]
HEALTH_MODULE = [sys.executable, "-m", "bot.observability.health"]
LISTENING = re.compile(rb"http://127\.0\.0\.1:(\d+)/metrics")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode())


async def _port_from_log(stderr: asyncio.StreamReader, seen: list[bytes]) -> int:
    while True:
        line = await asyncio.wait_for(stderr.readline(), 60)
        assert line, b"".join(seen).decode()
        seen.append(line)
        if match := LISTENING.search(line):
            return int(match.group(1))


async def test_run_serves_metrics_and_health_and_logs_json(tmp_path: Path, tiny_models: Path) -> None:
    env = chat_env(
        tmp_path,
        tiny_models,
        BARDLING_METRICS_PORT="0",  # any free port; the log line says which
        BARDLING_LOG_FORMAT="json",
    )
    proc = await asyncio.create_subprocess_exec(
        *CLI, "run", "--transport", "console", env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    async with reaped(proc):  # killed and waited for even if the test fails half-way
        logged: list[bytes] = []
        port = await _port_from_log(proc.stderr, logged)
        proc.stdin.write(b"/poem O\n")
        await proc.stdin.drain()
        while not (await asyncio.wait_for(proc.stdout.readline(), 60)).startswith(b"#1 "):
            pass
        metrics = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/metrics")
        health_env = {**env, "BARDLING_METRICS_PORT": str(port)}
        cli_health = await asyncio.to_thread(
            subprocess.run, [*CLI, "health"], env=health_env, capture_output=True, text=True, timeout=60
        )
        module_health = await asyncio.to_thread(
            subprocess.run, HEALTH_MODULE, env=health_env, capture_output=True, text=True, timeout=60
        )
        proc.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(proc.communicate(), 60)
    after = await asyncio.to_thread(
        subprocess.run, HEALTH_MODULE, env=health_env, capture_output=True, text=True, timeout=60
    )

    assert proc.returncode == 0, (b"".join(logged) + rest).decode()
    assert 'bardling_requests_total{command="poem",outcome="ok",platform="console"} 1.0' in metrics
    assert (cli_health.returncode, module_health.returncode) == (0, 0), cli_health.stderr
    assert cli_health.stdout.startswith("healthy")
    assert after.returncode == 1 and "no answer" in after.stderr
    records = [json.loads(line) for line in (b"".join(logged) + rest).decode().splitlines() if line]
    (poem,) = [r for r in records if r.get("command") == "poem"]
    assert poem["outcome"] == "ok" and re.fullmatch(r"[0-9a-f]{12}", str(poem["request_id"]))


def test_health_without_a_port_says_there_is_nothing_to_ask(tmp_path: Path, tiny_models: Path) -> None:
    result = subprocess.run(
        HEALTH_MODULE, env=chat_env(tmp_path, tiny_models), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "BARDLING_METRICS_PORT is not set" in result.stderr
