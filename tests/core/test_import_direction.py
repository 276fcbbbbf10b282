"""Imports point one way: what training and serving share lives in ``artifact/``; the command core
and the retraining jobs do not import each other's way back; transports translate only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package → packages its modules may never import (even for type checking)
FORBIDDEN = {
    "artifact": ("bot", "training"),
    "bot/core": ("bot.jobs", "bot.transports", "bot.cli", "training"),
    "bot/engine": ("bot.core", "bot.jobs", "bot.transports", "bot.storage", "bot.cli", "training"),
    "bot/storage": ("bot.core", "bot.jobs", "bot.transports", "bot.engine", "bot.cli", "training"),
    "bot/jobs": ("bot.transports", "bot.cli", "training"),
    "bot/transports": ("bot.jobs", "bot.cli", "training"),
    "bot/quality": ("bot.core", "bot.jobs", "bot.transports", "bot.cli", "training"),
    "bot/observability": ("bot.core", "bot.jobs", "bot.transports", "bot.cli", "training"),
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_only_downstream(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imported(path))
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[package])
    ]
    assert not wrong, "\n".join(wrong)
