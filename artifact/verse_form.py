"""The regulated form of a Chinese poem (绝句 and 律诗), as plain checks on its text.

Pure Python and torch-free so that training (measuring how often a model writes the form
unaided) and the bot (checking or forcing its output) share one definition of "well-formed":

- 4 or 8 clauses, every one of 5 characters or every one of 7;
- odd clauses (1st, 3rd, …) end with ``，``, even ones with ``。`` (or ``？``/``！``);
- a clause is made of CJK ideographs only.
"""

from __future__ import annotations

from typing import NamedTuple

COMMA = "，"
FULL_STOPS = frozenset("。？！")
CLAUSE_MARKS = frozenset("，。？！；")
CLAUSE_WIDTHS = (5, 7)  # characters per clause
CLAUSE_COUNTS = (4, 8)  # clauses in a quatrain (绝句) and in an octave (律诗)

# CJK Unified Ideographs, Extension A, the compatibility block, and Extensions B–H.
_IDEOGRAPHS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))


class Clause(NamedTuple):
    """One clause: its characters and the mark that closes it (``""`` for an unfinished tail)."""

    body: str
    mark: str


def is_ideograph(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _IDEOGRAPHS)


def clauses(text: str) -> list[Clause]:
    """Split ``text`` after each of ``，。？！；``; joining bodies and marks gives ``text`` back.

    Nothing is dropped or normalised, so a checker sees every stray space or doubled mark.
    """
    out: list[Clause] = []
    body: list[str] = []
    for char in text:
        if char in CLAUSE_MARKS:
            out.append(Clause("".join(body), char))
            body = []
        else:
            body.append(char)
    if body:
        out.append(Clause("".join(body), ""))
    return out


def is_regulated(text: str) -> bool:
    """True when ``text`` (surrounding whitespace ignored) is a regulated quatrain or octave."""
    parts = clauses(text.strip())
    if len(parts) not in CLAUSE_COUNTS:
        return False
    width = len(parts[0].body)
    if width not in CLAUSE_WIDTHS:
        return False
    for number, (body, mark) in enumerate(parts, start=1):
        if len(body) != width or not all(is_ideograph(c) for c in body):
            return False
        if mark != COMMA if number % 2 else mark not in FULL_STOPS:
            return False
    return True


def as_lines(text: str) -> str:
    """A regulated poem as it is printed, one couplet a line; any other text unchanged."""
    if not is_regulated(text):
        return text
    return "".join(c + "\n" if c in FULL_STOPS else c for c in text.strip()).rstrip("\n")
