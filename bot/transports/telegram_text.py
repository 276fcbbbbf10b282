"""Texts made safe to post in a Telegram chat: no mention that notifies, no link that previews or lures.

Replies echo what users typed (a seed, an unknown command's name, a display name), and Telegram
turns ``@name`` into a mention that notifies that user and ``example.com`` or ``https://…`` into a
link, whatever the parse mode. Look-alike characters keep the text readable while Telegram sees
neither: ``＠`` (fullwidth) for ``@``, ``․`` (one-dot leader) for a dot inside a word, ``∶`` for the
colon of ``://``. Each is one UTF-16 unit, as the character it replaces, so lengths stay the same.
(Control, bidi and zero-width characters are already gone: the core drops them from all input.)
"""

from __future__ import annotations

import re

_MENTION = re.compile(r"@(?=\w)")
_SCHEME = re.compile(r"(?<=\w):(?=//)")
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_])")  # example.com, t.me, thee.Then — not 0.5


def defuse(text: str) -> str:
    """``text`` with mentions and links neutralised (shown the same, never notifying or linking)."""
    text = _MENTION.sub("\uff20", text)
    text = _SCHEME.sub("\u2236", text)
    return _DOMAIN_DOT.sub("\u2024", text)
