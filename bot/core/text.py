"""Cleaning what users type and shortening what the bot lists back."""

from __future__ import annotations

import unicodedata

DROPPED_CATEGORIES = ("Cc", "Cf", "Cs")  # controls; format (bidi, zero-width); lone surrogates


def strip_controls(text: str) -> str:
    """Drop control and format characters (bidi overrides, zero-width, NULs, escapes) and lone
    surrogates (JSON can carry them; no database or terminal takes them); keep newlines, tabs → space."""
    text = text.replace("\r\n", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in DROPPED_CATEGORIES)


def snippet(text: str, width: int = 60) -> str:
    """The first non-blank line, cut to ``width`` characters with an ellipsis."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def unique_in_order(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def too_big(size: int, max_bytes: int) -> str:
    """What a user is told about a file over the upload limit (by the transport before fetching it,
    or by the job service after): exact sizes, as a size rounded to megabytes would read the same on
    both sides of the limit."""
    return f"The attached file is {size:,} bytes; the limit is {max_bytes:,}."
