"""What an operator meets: settings refused with one line, secrets never shown, private files."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.app import Bardling
from bot.cli import app
from bot.config import Settings
from tests.deploy.test_doctor import doctor, line
from tests.deploy.test_doctor import migrate as migrate_to_head

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BARDLING_RATE_LIMIT_BURST": "0"}, "BARDLING_RATE_LIMIT_BURST"),
        ({"BARDLING_ADMINS": "telgram:123"}, "'telgram:123' is not an admin key"),
        ({"BARDLING_ADMINS": "telegram:1,@alice"}, "'@alice' is not an admin key"),
        ({"BARDLING_METRICS_PORT": "70000"}, "BARDLING_METRICS_PORT"),
    ],
)
def test_a_bad_setting_is_one_line_from_doctor_and_from_start_up(
    tmp_path: Path, tiny_models: Path, env: dict[str, str], expected: str
) -> None:
    checked = doctor(tmp_path, tiny_models, **env)
    assert checked.exit_code == 1 and expected in line(checked, "configuration")
    started = CliRunner().invoke(
        app, ["chat"], input="/help\n", env={"BARDLING_DATA_DIR": str(tmp_path / "d"), **env}
    )
    assert started.exit_code == 2 and expected in started.output
    assert "Traceback" not in started.output and len(started.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("postgresql+asyncpg://bard:tP4ss@word@127.0.0.1:1/bardling", ["tP4ss", "word"]),
        ("postgresql+asyncpg://bard@127.0.0.1:1/bardling?password=hunter22&ssl=disable", ["hunter22"]),
        ("postgresql+asyncpg://bard:a/b?c@127.0.0.1:1/bardling", ["a/b", "c@"]),
    ],
)
def test_doctor_never_shows_any_part_of_a_password(
    tmp_path: Path, tiny_models: Path, url: str, secrets: list[str]
) -> None:
    result = doctor(tmp_path, tiny_models, BARDLING_DATABASE_URL=url)
    assert line(result, "database").startswith("FAIL")
    for secret in secrets:
        assert secret not in result.output, result.output


def test_a_password_given_apart_is_url_encoded_into_the_database_url() -> None:
    password = "p@ss/w:rd?#%"
    settings = Settings(
        database_url="postgresql+asyncpg://bardling@postgres:5432/bardling", database_password=password
    )
    url = make_url(settings.resolved_database_url)
    assert url.password == password and url.host == "postgres" and url.database == "bardling"


def test_systemd_unit_raises_the_open_files_limit() -> None:
    unit = (DEPLOY / "bardling.service").read_text()
    match = re.search(r"^LimitNOFILE=(\d+)$", unit, re.M)
    assert match and int(match.group(1)) >= 16384


async def test_the_data_dir_and_database_are_private(bot_settings: Settings) -> None:
    async with Bardling(bot_settings):
        pass
    database = bot_settings.data_dir / "bardling.db"
    assert stat.S_IMODE(bot_settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", ["truncated", "bad header"])
def test_a_damaged_database_is_one_line_from_chat_and_a_failure_in_doctor(
    tmp_path: Path, tiny_models: Path, damage: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / "bardling.db"
    migrate_to_head(f"sqlite+aiosqlite:///{database}")
    raw = database.read_bytes()
    database.write_bytes(raw[:1000] if damage == "truncated" else b"not a database!!" + raw[16:])
    env = {"BARDLING_DATA_DIR": str(data), "BARDLING_BUNDLED_MODELS_DIR": str(tiny_models),
           "BARDLING_CONFIG_FILE": str(tmp_path / "none.toml"), "BARDLING_DEVICE": "cpu"}  # fmt: skip
    started = CliRunner().invoke(app, ["chat"], input="/help\n", env=env)
    assert started.exit_code == 1 and "Traceback" not in started.output
    assert len(started.output.strip().splitlines()) == 1 and "cannot be opened" in started.output
    checked = doctor(tmp_path, tiny_models)
    assert line(checked, "database").startswith("FAIL")
