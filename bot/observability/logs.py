"""Logging set-up: plain text for a terminal, one JSON object per line for a log collector.

Every record carries ``request_id``: the id of the invocation being handled when it was logged
(``-`` outside one), taken from a context variable, so asyncio tasks started while handling a
request keep its id and concurrent requests never mix theirs up.
"""

from __future__ import annotations

import logging
import secrets
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

NO_REQUEST = "-"
request_id: ContextVar[str] = ContextVar("bardling_request_id", default=NO_REQUEST)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def new_request_id() -> str:
    """Short and random: unique enough to grep one request's lines out of a day of logs."""
    return secrets.token_hex(6)


def one_line(err: BaseException) -> str:
    """An exception as one short line for logs and health answers (messages can be pages long)."""
    if isinstance(err, TimeoutError):
        return "timed out"
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:200]}" if lines else type(err).__name__


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: str, fmt: Literal["text", "json"] = "text") -> None:
    """Replace the root logger's handlers with one stderr handler in ``fmt``."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
