"""Turning the text after a command into typed, range-checked arguments.

One rule for every text transport: ``name:value`` (or ``name=value``) sets any parameter, and a
``name:value`` word whose name is no parameter is refused, naming it; other words fill the
parameters in order, and the command's *greedy* parameter (a seed, a prefix) takes the rest of
the line as typed, newlines included. Parameters after the greedy one are keyword-only:
``/poem Forsooth this maketh temperature:0.9``. An optional number parameter that a word does not
fit is skipped, so ``/dinoname Tyr`` means the prefix, ``/dinoname 3`` the count. Slash-command
transports hand typed values over instead (:func:`typed_args`): nothing they send is re-parsed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import UserError
from bot.core.i18n import _
from bot.core.registry import Command
from bot.core.text import strip_controls
from bot.core.types import ParamSpec

_LINE = re.compile(r"\s*/(?P<name>\S*)\s?(?P<args>.*)", re.DOTALL)
_KEYWORD = re.compile(r"(?P<key>[A-Za-z_]+)[:=](?P<value>\S+)")
_WORD = re.compile(r"\S+")


def split_command(line: str) -> tuple[str, str] | None:
    """``("poem", "Forsooth")`` for ``"/poem Forsooth"`` (``/poem@MyBot`` too); None if not a command."""
    match = _LINE.fullmatch(line)
    if match is None:
        return None
    return match["name"].split("@", 1)[0].lower(), match["args"]


@dataclass(frozen=True)
class Args:
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        return default if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        return None if value is None else int(value)

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        return None if value is None else float(value)


def _range_text(p: ParamSpec) -> str:
    def fmt(v: float) -> str:
        return f"{v:g}"

    whole = p.type == "int"
    if p.min_value is not None and p.max_value is not None:
        low, high = fmt(p.min_value), fmt(p.max_value)
        if whole:
            return _("{name} must be a whole number from {low} to {high}.", name=p.name, low=low, high=high)
        return _("{name} must be a number from {low} to {high}.", name=p.name, low=low, high=high)
    if p.min_value is not None:
        if whole:
            return _("{name} must be a whole number of at least {low}.", name=p.name, low=fmt(p.min_value))
        return _("{name} must be a number of at least {low}.", name=p.name, low=fmt(p.min_value))
    if whole:
        return _("{name} must be a whole number.", name=p.name)
    return _("{name} must be a number.", name=p.name)


class _NotThisType(UserError):
    """The word is not a number at all (as opposed to a number out of range)."""


def convert(p: ParamSpec, raw: str) -> Any:
    """The typed value, or ``UserError`` saying the allowed range."""
    if p.type == "str":
        return checked(p, raw)
    try:
        value: float = int(raw) if p.type == "int" else float(raw)
    except ValueError:
        raise _NotThisType(_range_text(p)) from None
    return checked(p, value)


def checked(p: ParamSpec, value: Any) -> Any:
    """``value`` if it is of the parameter's type and within its limits or choices, else ``UserError``."""
    if p.type == "str":
        if not isinstance(value, str):
            raise UserError(_("{name} must be text.", name=p.name))
        if p.choices and value.strip().lower() not in p.choices:
            raise UserError(_("{name} must be one of {choices}.", name=p.name, choices=", ".join(p.choices)))
        return value.strip().lower() if p.choices else value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or (p.type == "int" and not float(value).is_integer()):
        raise UserError(_range_text(p))
    value = int(value) if p.type == "int" else float(value)
    if not math.isfinite(value) or (p.min_value is not None and value < p.min_value):
        raise UserError(_range_text(p))
    if p.max_value is not None and value > p.max_value:
        raise UserError(_range_text(p))
    return value


def typed_args(command: Command, options: Mapping[str, object]) -> Args:
    """The values a slash-command transport sends, typed already: checked, never re-parsed, so a
    seed stays a seed whatever words it holds."""
    params = {p.name: p for p in command.spec.params}
    values: dict[str, Any] = {}
    for name, value in options.items():
        p = params.get(name)
        if p is None:
            raise UserError(_unknown(command, name))
        if value is not None and value != "":
            values[name] = checked(p, strip_controls(value) if isinstance(value, str) else value)
    missing = [p.name for p in params.values() if p.required and values.get(p.name) in (None, "")]
    if missing:
        raise UserError(_("Usage: {usage}", usage=command.usage()))
    return Args(values)


def parse_args(command: Command, text: str) -> Args:
    """Typed values of the parameters (an attached file comes as ``Invocation.attachment``)."""
    params = {p.name: p for p in command.spec.params}
    values: dict[str, Any] = {}
    words: list[re.Match[str]] = []
    cuts: list[tuple[int, int]] = []
    for word in _WORD.finditer(text):
        kw = _KEYWORD.fullmatch(word.group())
        if kw is None:
            words.append(word)
            continue
        p = params.get(kw["key"].lower())
        if p is None:
            raise UserError(_unknown(command, kw["key"]))
        values[p.name] = convert(p, kw["value"])
        cuts.append(word.span())

    slots: list[ParamSpec] = []
    for p in params.values():
        slots.append(p)
        if p.name == command.greedy:
            break
    _fill_positional(command, [p for p in slots if p.name not in values], words, text, cuts, values)
    missing = [p.name for p in params.values() if p.required and values.get(p.name) in (None, "")]
    if missing:
        raise UserError(_("Usage: {usage}", usage=command.usage()))
    return Args(values)


def _unknown(command: Command, key: str) -> str:
    """Name the option that is not one, rather than read it as a value of another or as text."""
    names = ", ".join(p.name for p in command.spec.params) or _("none")
    message = _(
        "Unknown option {key}:… — /{command} takes: {names}.", key=key[:32], command=command.name, names=names
    )
    if command.greedy:
        message += _(" To keep “{key}:” in the text, put a space after the colon.", key=key[:32])
    return message


def _without(text: str, start: int, cuts: list[tuple[int, int]]) -> str:
    """``text[start:]`` with the keyword words cut out, keeping the rest as typed (newlines too)."""
    pieces, pos = [], start
    for a, b in cuts:
        if b > pos:
            pieces.append(text[pos:a])
            pos = b
    pieces.append(text[pos:])
    return " ".join(piece.strip(" ") for piece in pieces if piece.strip(" ")).strip()


def _fill_positional(
    command: Command,
    slots: list[ParamSpec],
    words: list[re.Match[str]],
    text: str,
    cuts: list[tuple[int, int]],
    values: dict[str, Any],
) -> None:
    pending = iter(enumerate(slots, 1))
    for word in words:
        for position, p in pending:
            if p.name == command.greedy:
                values[p.name] = _without(text, word.start(), cuts)
                return
            try:
                values[p.name] = convert(p, word.group())
                break
            except _NotThisType:
                if p.required or position == len(slots):
                    raise
        else:
            raise UserError(_("Too many arguments. Usage: {usage}", usage=command.usage()))
