"""The one exception a command handler raises to answer a user with a short, clear refusal."""

from __future__ import annotations


class UserError(Exception):
    """``str(err)`` is shown to the user as it is; nothing is stored, no rate-limit token is spent."""
