"""``bardling run`` when a platform cannot be reached at start-up: one clear line, a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.console.test_console import chat_env

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused
TOKEN = "123456:never-shown-anywhere"


@pytest.mark.parametrize("transport", ["telegram", "discord"])
def test_an_unreachable_platform_is_one_line_and_a_failed_exit(
    tmp_path: Path,
    tiny_models: Path,
    monkeypatch: pytest.MonkeyPatch,
    root_logging: None,
    transport: str,
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", f"{UNREACHABLE}/api/v10")
    env = chat_env(
        tmp_path,
        tiny_models,
        BARDLING_TELEGRAM_TOKEN=TOKEN,
        BARDLING_TELEGRAM_BASE_URL=f"{UNREACHABLE}/bot",
        BARDLING_DISCORD_TOKEN=TOKEN,
        BARDLING_LOG_LEVEL="WARNING",  # what an operator sees by default is checked with the rest
    )
    for name in [k for k in env if k.startswith("BARDLING_")]:
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["run", "--transport", transport], env=env)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert len(lines) == 1 and lines[0].startswith(f"{transport} could not start: "), result.stderr
    assert "never-shown" not in result.output
