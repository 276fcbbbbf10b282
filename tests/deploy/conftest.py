"""Fixtures for the deployment tests: the transport tests' fake servers and tiny-model settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.transports.conftest import discord_api, make_settings, telegram_api, tiny_models

__all__ = ["discord_api", "make_settings", "telegram_api", "tiny_models"]


@pytest.fixture
def quiet_root_logger() -> Iterator[None]:
    """Put the root logger back as it was after a test that configures logging."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
