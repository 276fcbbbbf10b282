"""Split long replies into messages a platform accepts (Telegram 4,096, Discord 2,000 characters).

Lengths are counted in UTF-16 code units, as the platforms do, so an emoji counts twice and no
chunk is refused. Splits fall at line breaks when possible, so verse keeps its lines whole; then at
spaces; a single run longer than the limit is cut where it must be.
"""

from __future__ import annotations

from telegram.constants import MessageLimit

TELEGRAM_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
DISCORD_LIMIT = 2000  # discord.py keeps no constant for it


def utf16_len(text: str) -> int:
    """Length as the platforms count it: characters outside the BMP take two units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most ``limit`` units, none blank; whitespace at the cuts is dropped.

    Every non-whitespace character of ``text`` is kept, in order. Blank text gives no chunks.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text
    while rest.strip():
        if utf16_len(rest) <= limit:
            chunks.append(rest.rstrip())
            break
        fit = _longest_prefix(rest, limit)
        window = rest[:fit]
        if rest[fit] == "\n":
            cut = fit + 1
        elif "\n" in window:
            cut = window.rfind("\n") + 1
        elif rest[fit].isspace():
            cut = fit + 1
        else:
            cut = _last_space(window) or fit
        chunk = rest[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[cut:].lstrip("\r\n")
    return chunks


def message_parts(text: str, limit: int, *, with_image: bool = False) -> list[str]:
    """The texts of the messages for one reply: never none, so a reply is always seen.

    Blank text gives ``[""]`` beside an image (the image alone) and ``["…"]`` otherwise.
    """
    return split_text(text, limit) or ["" if with_image else "…"]


def _longest_prefix(text: str, limit: int) -> int:
    """Number of leading characters whose UTF-16 length is at most ``limit``."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def _last_space(window: str) -> int:
    """Index just after the last whitespace in ``window`` not at its start, or 0 when none."""
    for i in range(len(window) - 1, 0, -1):
        if window[i].isspace():
            return i + 1
    return 0
