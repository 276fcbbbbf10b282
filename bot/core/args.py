"""Turning the text after a command into typed, range-checked arguments.

One rule for every command and transport: ``name:value`` (or ``name=value``) sets any parameter;
other words fill the parameters in order, and the command's *greedy* parameter (a seed, a prefix)
takes the rest of the line as typed, newlines included. Parameters after the greedy one are
keyword-only: ``/poem Forsooth this maketh temperature:0.9``. An optional number parameter that a
word does not fit is skipped, so ``/dinoname Tyr`` means the prefix, ``/dinoname 3`` the count.
Slash-command transports build the same text with :func:`format_args`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import UserError
from bot.core.registry import Command
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


def format_args(values: Mapping[str, object], greedy: str | None = None) -> str:
    """The argument text for structured options (slash commands): the greedy value, then ``k:v``."""
    parts = [str(values[greedy])] if greedy and values.get(greedy) not in (None, "") else []
    parts += [f"{k}:{v}" for k, v in values.items() if k != greedy and v not in (None, "")]
    return " ".join(parts)


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

    kind = "a whole number" if p.type == "int" else "a number"
    if p.min_value is not None and p.max_value is not None:
        return f"{p.name} must be {kind} from {fmt(p.min_value)} to {fmt(p.max_value)}."
    if p.min_value is not None:
        return f"{p.name} must be {kind} of at least {fmt(p.min_value)}."
    return f"{p.name} must be {kind}."


class _NotThisType(UserError):
    """The word is not a number at all (as opposed to a number out of range)."""


def convert(p: ParamSpec, raw: str) -> Any:
    """The typed value, or ``UserError`` saying the allowed range."""
    if p.type == "str":
        return raw
    try:
        value: float = int(raw) if p.type == "int" else float(raw)
    except ValueError:
        raise _NotThisType(_range_text(p)) from None
    if not math.isfinite(value) or (p.min_value is not None and value < p.min_value):
        raise UserError(_range_text(p))
    if p.max_value is not None and value > p.max_value:
        raise UserError(_range_text(p))
    return value


def parse_args(command: Command, text: str) -> Args:
    """Typed values of the parameters (an attached file comes as ``Invocation.attachment``)."""
    params = {p.name: p for p in command.spec.params}
    values: dict[str, Any] = {}
    words: list[re.Match[str]] = []
    cuts: list[tuple[int, int]] = []
    for word in _WORD.finditer(text):
        kw = _KEYWORD.fullmatch(word.group())
        if kw and kw["key"].lower() in params:
            p = params[kw["key"].lower()]
            values[p.name] = convert(p, kw["value"])
            cuts.append(word.span())
        else:
            words.append(word)

    slots: list[ParamSpec] = []
    for p in params.values():
        slots.append(p)
        if p.name == command.greedy:
            break
    _fill_positional(command, [p for p in slots if p.name not in values], words, text, cuts, values)
    missing = [p.name for p in params.values() if p.required and values.get(p.name) in (None, "")]
    if missing:
        raise UserError(f"Usage: {command.usage()}")
    return Args(values)


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
            raise UserError(f"Too many arguments. Usage: {command.usage()}")
