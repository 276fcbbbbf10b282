"""The one wire form of a button press, ``command:arg`` (e.g. ``fav:123``), and how replies are shown.

A button carries nothing but the command and its id, so a press after a restart, or a forged
payload, is simply a command line the core checks like any other.
"""

from __future__ import annotations

import re

from telegram.constants import InlineKeyboardButtonLimit

from bot.core.types import Button, Reply

TELEGRAM_CALLBACK_LIMIT = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # bytes of callback_data
PAYLOAD_PATTERN = r"(?P<command>[a-z][a-z0-9_]{0,31}):(?P<arg>[^\s:]{1,40})"
_PAYLOAD = re.compile(PAYLOAD_PATTERN)


def encode_button(button: Button) -> str:
    """``command:arg``; a core button that cannot be encoded is a bug, so it raises."""
    payload = f"{button.command}:{button.arg}"
    if not _PAYLOAD.fullmatch(payload) or len(payload.encode()) > TELEGRAM_CALLBACK_LIMIT:
        raise ValueError(f"button payload {payload!r} is not of the form command:id")
    return payload


def decode_button(payload: str) -> tuple[str, str] | None:
    """``(command, arg)``, or None for anything that is not a payload this bot wrote."""
    match = _PAYLOAD.fullmatch(payload)
    return (match["command"], match["arg"]) if match else None


def is_brief(reply: Reply) -> bool:
    """A short acknowledgement (saved, removed, refused) rather than content to post.

    Answers to button presses that are brief show as a toast (Telegram) or an ephemeral message
    (Discord) instead of a new message in the chat.
    """
    return (
        reply.generation_id is None and not reply.buttons and reply.image is None and len(reply.text) <= 200
    )
