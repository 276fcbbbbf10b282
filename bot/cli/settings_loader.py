"""Settings for a CLI command: an invalid one is a single line on stderr and exit status 2."""

from __future__ import annotations

from typing import Any

import typer

from bot.config import Settings, describe_settings_error


def load_settings(**overrides: Any) -> Settings:
    """``Settings()`` from the environment (plus ``overrides``), never a traceback; secrets never echoed."""
    try:
        return Settings(**overrides)
    except ValueError as err:
        typer.echo(describe_settings_error(err), err=True)
        raise typer.Exit(2) from None
