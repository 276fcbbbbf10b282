"""Cleaning what users type and shortening what the bot lists back."""

from __future__ import annotations

import unicodedata


def strip_controls(text: str) -> str:
    """Drop control and format characters (bidi overrides, NULs, escapes); keep newlines, tabs → space."""
    text = text.replace("\r\n", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))


def snippet(text: str, width: int = 60) -> str:
    """The first non-blank line, cut to ``width`` characters with an ellipsis."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def unique_in_order(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
