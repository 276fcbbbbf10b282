"""Every setting is in the one table of docs/configuration.md and in deploy/env.example, with its
real default: read from ``Settings`` itself (and, for env.example, from the CPU image's ``ENV``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "configuration.md"
EXAMPLE = ROOT / "deploy" / "env.example"
IMAGE = ROOT / "deploy" / "Dockerfile.cpu"


def variable(field: str) -> str:
    return f"BARDLING_{field.upper()}"


def shown(value: Any) -> str:
    """A default as it is written in an environment variable."""
    if value is None or value == []:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def literal_defaults() -> dict[str, str]:
    """Defaults that are the same on every machine (not paths computed from it)."""
    out = {}
    for name, field in Settings.model_fields.items():
        if field.default_factory is list:
            out[variable(name)] = ""
        elif field.default is not PydanticUndefined and not isinstance(field.default, Path):
            out[variable(name)] = shown(field.default)
    return out


def image_env() -> dict[str, str]:
    final = IMAGE.read_text().rsplit("\nFROM ", 1)[1]
    return dict(re.findall(r"\b(BARDLING_[A-Z0-9_]+)=(\S+)", final))


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(BARDLING_[A-Z0-9_]+)` \| ([^|]+) \|", TABLE.read_text(), re.M))
    assert set(rows) == {variable(name) for name in Settings.model_fields}
    for name, default in literal_defaults().items():
        cell = rows[name].strip()
        if default:
            assert cell == f"`{default}`", f"{name}: the table says {cell}, Settings says {default!r}"
        else:
            assert cell.startswith("—"), f"{name}: the table says {cell}, but it has no default"


def test_env_example_lists_every_setting_with_the_value_the_container_uses() -> None:
    text = EXAMPLE.read_text()
    missing = {variable(name) for name in Settings.model_fields} - set(
        re.findall(r"BARDLING_[A-Z0-9_]+", text)
    )
    assert not missing, f"deploy/env.example does not mention {sorted(missing)}"
    expected = literal_defaults() | image_env()
    for name, value in re.findall(r"^# (BARDLING_[A-Z0-9_]+)=(.*)$", text, re.M):
        assert value == expected[name], (
            f"{name}: env.example shows {value!r}, the container uses {expected[name]!r}"
        )
