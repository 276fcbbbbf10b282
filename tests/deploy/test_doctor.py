"""``bardling doctor``: what would stop the bot is a failure (exit 1); secrets are never printed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.storage import Storage
from tests.support.postgres import PostgresServer
from tests.support.postgres import _free_port as free_port

TELEGRAM_TOKEN = "123456:" + "Abc-_9" * 6
DISCORD_TOKEN = "MTIz.discord-secret.value"


def doctor(tmp_path: Path, models: Path, *args: str, **env: str | None) -> Result:
    values: dict[str, str | None] = {
        "BARDLING_DATA_DIR": str(tmp_path / "data"),
        "BARDLING_BUNDLED_MODELS_DIR": str(models),
        "BARDLING_CONFIG_FILE": str(tmp_path / "none.toml"),
        "BARDLING_ENGINE_THREADS": "1",
        "BARDLING_DEVICE": "cpu",
        "BARDLING_DATABASE_URL": None,
        "BARDLING_TELEGRAM_TOKEN": None,
        "BARDLING_DISCORD_TOKEN": None,
        "BARDLING_TELEGRAM_WEBHOOK_URL": None,
        "BARDLING_DISCORD_SHARD_COUNT": None,
        "BARDLING_DISCORD_SHARD_IDS": None,
        **env,
    }
    return CliRunner().invoke(app, ["doctor", *args], env=values)


def line(result: Result, name: str) -> str:
    return next(row for row in result.output.splitlines() if row[6:].startswith(name + " "))


def migrate(url: str) -> None:
    async def run() -> None:
        await (await Storage.open(url)).close()

    asyncio.run(run())


def test_a_ready_installation_passes_and_no_token_is_printed(tmp_path: Path, tiny_models: Path) -> None:
    (tmp_path / "data").mkdir()
    migrate(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bardling.db'}")
    result = doctor(
        tmp_path, tiny_models, "-t", "telegram", "-t", "discord",
        BARDLING_TELEGRAM_TOKEN=TELEGRAM_TOKEN, BARDLING_DISCORD_TOKEN=DISCORD_TOKEN,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert line(result, "database").startswith("ok") and "migrations at head (0005)" in result.output
    for model in ("shakespeare", "dinos"):
        assert line(result, f"model {model}").startswith("ok")
        assert "version 1 on cpu, checksum ok" in line(result, f"model {model}")
    assert "Telegram: set; Discord: set" in line(result, "tokens")
    assert line(result, "gpu").startswith("ok") and "BARDLING_DEVICE=cpu" in line(result, "gpu")
    assert TELEGRAM_TOKEN not in result.output and "discord-secret" not in result.output
    assert result.output.rstrip().endswith("0 failed, 0 warnings, 7 ok")


def test_corpora_for_retraining_are_reported_by_source(tmp_path: Path, tiny_models: Path) -> None:
    corpora = tmp_path / "corpora"
    (corpora / "ptb").mkdir(parents=True)
    for name in ("dinos.txt", "ptb/ptb.train.txt", "ptb/ptb.valid.txt", "ptb/ptb.test.txt"):
        (corpora / name).write_text("x\n")
    (tmp_path / "data" / "corpora").mkdir(parents=True)
    (tmp_path / "data" / "corpora" / "sonnets.txt").write_text("x\n")
    row = line(doctor(tmp_path, tiny_models, BARDLING_CORPORA_DIR=str(corpora)), "corpora")
    assert row.startswith("ok")
    assert "dinos, ptb: in BARDLING_CORPORA_DIR" in row and "sonnets: cached" in row
    assert "shakespeare, timemachine: downloaded on first use" in row
    assert "tang: built from its public source on first use" in row


def test_a_tampered_model_fails(tmp_path: Path, tiny_models: Path) -> None:
    models = shutil.copytree(tiny_models, tmp_path / "models")
    onnx = models / "shakespeare" / "model.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    result = doctor(tmp_path, models)
    assert result.exit_code == 1
    assert line(result, "model shakespeare").startswith("FAIL")
    assert "does not match its manifest checksum" in line(result, "model shakespeare")
    assert line(result, "model dinos").startswith("ok")


def test_an_unreachable_database_fails_without_showing_its_password(
    tmp_path: Path, tiny_models: Path
) -> None:
    url = f"postgresql+asyncpg://bard:hunter2@127.0.0.1:{free_port()}/bardling"
    result = doctor(tmp_path, tiny_models, BARDLING_DATABASE_URL=url)
    assert result.exit_code == 1
    assert line(result, "database").startswith("FAIL")
    assert "cannot reach postgresql+asyncpg://bard:***@127.0.0.1" in result.output
    assert "hunter2" not in result.output


def test_no_database_yet_is_a_warning(tmp_path: Path, tiny_models: Path) -> None:
    result = doctor(tmp_path, tiny_models)
    assert result.exit_code == 0, result.output
    assert line(result, "database").startswith("warn") and "`bardling run` creates it" in result.output
    assert "Telegram: not set; Discord: not set" in line(result, "tokens")
    assert line(result, "tokens").startswith("warn")


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"BARDLING_DISCORD_SHARD_IDS": "x"}, [], "invalid setting BARDLING_DISCORD_SHARD_IDS"),
        ({"BARDLING_DISCORD_SHARD_COUNT": "2", "BARDLING_DISCORD_SHARD_IDS": "0-2"}, [], "must be in 0–1"),
        ({"BARDLING_TELEGRAM_WEBHOOK_URL": "http://bot.example.org/t"}, [], "must be an https:// URL"),
        ({}, ["-t", "telegram"], "BARDLING_TELEGRAM_TOKEN is not set"),
        ({"BARDLING_TELEGRAM_TOKEN": f'"{TELEGRAM_TOKEN}"'}, [], "surrounding spaces or quotes"),
        ({"BARDLING_TELEGRAM_TOKEN": "not-a-token"}, [], "not shaped like a bot token"),
    ],
)
def test_what_would_stop_the_bot_fails_with_a_short_reason(
    tmp_path: Path, tiny_models: Path, env: dict[str, str], args: list[str], expected: str
) -> None:
    result = doctor(tmp_path, tiny_models, *args, **env)
    assert result.exit_code == 1
    failing = [row for row in result.output.splitlines() if row.startswith("FAIL")]
    assert len(failing) == 1 and expected in failing[0], result.output
    assert TELEGRAM_TOKEN not in result.output and "not-a-token" not in result.output


@pytest.mark.postgres
def test_postgresql_empty_then_at_head(
    tmp_path: Path, tiny_models: Path, postgres_server: PostgresServer
) -> None:
    url = asyncio.run(postgres_server.create_database())
    empty = doctor(tmp_path, tiny_models, BARDLING_DATABASE_URL=url)
    migrate(url)
    ready = doctor(tmp_path, tiny_models, BARDLING_DATABASE_URL=url)
    assert empty.exit_code == 0 and "postgresql reachable, empty" in line(empty, "database")
    assert ready.exit_code == 0 and "postgresql reachable, migrations at head" in line(ready, "database")
