"""An error's text cut to what fits on one line of a reply, a log or a status field."""

from __future__ import annotations


def first_line(err: BaseException | str, limit: int = 300) -> str:
    """The first line of ``err``'s text, at most ``limit`` characters (an error without text: its
    type's name), so a multi-line traceback or driver message never floods the place it is shown."""
    lines = str(err).strip().splitlines()
    if not lines:
        return type(err).__name__ if isinstance(err, BaseException) else ""
    line = lines[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"
