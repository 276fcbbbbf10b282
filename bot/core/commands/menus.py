"""Settings commands' shared grammar and buttons: ``/settings form haiku`` is ``form:haiku``, and
``/settings form`` alone answers with the choices as buttons (each one a ``form=haiku`` line)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.args import convert
from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.types import Button, ParamSpec

MAX_ARG_CHARS = 40  # what every transport's button payload can carry after the command


def spoken(text: str, params: Sequence[ParamSpec], extra: Iterable[str] = ()) -> tuple[str, Any]:
    """``("form", "haiku")`` for ``"form haiku"`` (the value typed and range-checked as ``form:haiku``
    would be); ``("form", None)`` for ``"form"``; ``("", None)`` for nothing. ``extra`` names words
    that are no parameter (``reset``); their value stays text."""
    name, _space, value = text.strip().partition(" ")
    name, value = name.lower(), value.strip()
    known = {p.name: p for p in params}
    if not name:
        return "", None
    if name not in known and name not in extra:
        words = ", ".join([*known, *extra])
        raise UserError(_("Unknown setting “{name}”. Settings: {words}.", name=name[:32], words=words))
    if not value:
        return name, None
    return name, convert(known[name], value) if name in known else value


def choice(command: str, name: str, value: object, current: object, label: str | None = None) -> Button:
    """A button that sets ``name`` to ``value``; the current value is ticked."""
    shown = label or str(value)
    return Button(("✓ " if value == current else "") + shown, command, f"{name}={value}")


def fits(value: str) -> bool:
    """Whether ``name=value`` fits in a button (longer values can still be typed)."""
    return len(value) <= MAX_ARG_CHARS // 2 and " " not in value and ":" not in value
