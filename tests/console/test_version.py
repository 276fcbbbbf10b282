"""``bardling --version`` names the installed version, so a bug report can say what ran."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from bot.cli import app


def test_version_prints_the_installed_version_and_nothing_else_runs() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"bardling {version('bardling')}\n"
    assert "--version" in CliRunner().invoke(app, ["--help"]).stdout
