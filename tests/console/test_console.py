"""The console transport: scripted sessions in-process and through ``bardling chat`` in a pipe."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Notice
from bot.transports.console import ConsoleTransport

CHAT = [sys.executable, "-c", "from bot.cli import app; app()", "chat"]


async def run_script(app: Bardling, settings: Settings, script: str, *, admin: bool = False) -> str:
    out = io.StringIO()
    console = ConsoleTransport(app.core, settings, admin=admin, stdin=io.StringIO(script), stdout=out)
    await console.run()
    return out.getvalue()


async def test_a_scripted_session_echoes_answers_and_shows_buttons_as_commands(
    bot_app: Bardling, bot_settings: Settings
) -> None:
    out = await run_script(bot_app, bot_settings, "/poem Forsooth\n\n/fav\n/favs\nhello\n/quit\n/help\n")
    assert "> /poem Forsooth\nForsooth" in out
    assert "[⭐ /fav 1] [🔁 /again 1] [🖼 /card 1]" in out
    assert "> /fav\n⭐ Saved #1 to your favourites." in out
    assert "#1 · shakespeare — Forsooth" in out
    assert "Commands start with / — try /help" in out
    assert "/start — Say hello" not in out  # nothing after /quit is read


async def test_admin_switch(bot_app: Bardling, bot_settings: Settings) -> None:
    out = await run_script(bot_app, bot_settings, "/admin\n/admin on\n/admin\n/admin off\n")
    assert "Admin mode is off. Usage: /admin on|off" in out
    assert "Admin mode on." in out and "Admin mode is on." in out and "Admin mode off." in out
    assert not bot_app.core.is_admin("console:local")
    await run_script(bot_app, bot_settings, "", admin=True)
    assert bot_app.core.is_admin("console:local")


async def test_notices_are_printed(bot_app: Bardling, bot_settings: Settings) -> None:
    out = io.StringIO()
    console = ConsoleTransport(bot_app.core, bot_settings, stdin=io.StringIO(""), stdout=out)
    await console.run()
    await bot_app.core.notify("console", Notice("local", "Job 1: 50%"))
    assert "Job 1: 50%" in out.getvalue()


def chat_env(tmp_path: Path, models: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BARDLING_")}
    env.update(
        BARDLING_DATA_DIR=str(tmp_path / "data"),
        BARDLING_BUNDLED_MODELS_DIR=str(models),
        BARDLING_ENGINE_THREADS="1",
        BARDLING_CONFIG_FILE=str(tmp_path / "none.toml"),
        **extra,
    )
    return env


def test_bardling_chat_reads_a_pipe_and_a_restart_keeps_favourites(tmp_path: Path, tiny_models: Path) -> None:
    env = chat_env(tmp_path, tiny_models)
    first = subprocess.run(
        CHAT, input="/poem Forsooth\n/fav\n/favs\n", env=env, capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 0, first.stderr
    assert "⭐ Saved #1 to your favourites." in first.stdout
    second = subprocess.run(CHAT, input="/favs\n", env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert re.search(r"#1 · shakespeare — Forsooth", second.stdout)
