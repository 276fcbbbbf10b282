"""Logging set-up: plain text for a terminal, one JSON object per line for a log collector.

Every record carries ``request_id``: the id of the invocation being handled when it was logged
(``-`` outside one), taken from a context variable, so asyncio tasks started while handling a
request keep its id and concurrent requests never mix theirs up.

Secrets (bot tokens, the database password) are masked in every finished line at the handler, so
no record from any library, at any level, shows one: python-telegram-bot logs its API URL, which
holds the token, at DEBUG, and a driver's error can quote a database URL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, quote_plus

from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from bot.config import Settings

NO_REQUEST = "-"
request_id: ContextVar[str] = ContextVar("bardling_request_id", default=NO_REQUEST)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
MASK = "***"


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


def secrets_of(settings: Settings) -> list[str]:
    """What no log line may show: the bot tokens and the database password (however it is given)."""
    values = [settings.telegram_token, settings.discord_token, settings.database_password]
    found = [v.get_secret_value() for v in values if v is not None]
    if settings.database_url:
        with contextlib.suppress(ArgumentError, ValueError):  # a malformed URL: doctor says so
            url = make_url(settings.database_url)
            found.append(str(url.password or ""))
            query = url.query.get("password") or ()  # ?password=… as some drivers take it
            found += [query] if isinstance(query, str) else list(query)
    return [s for s in found if s]


def _written_forms(secret: str) -> set[str]:
    """The ways a secret can appear in a line: as is, URL-encoded, JSON- and repr-escaped."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), repr(secret)[1:-1]}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return forms


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every written form of each secret masked."""
    return RedactingFormatter(logging.Formatter(), secrets).mask(text)


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then masks the secrets in the finished text (message, arguments,
    traceback), whichever library logged it."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        forms = sorted({f for s in secrets if s for f in _written_forms(s)}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(self._inner.format(record))

    def mask(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None else text


def configure_logging(level: str, fmt: Literal["text", "json"] = "text", secrets: Iterable[str] = ()) -> None:
    """Replace the root logger's handlers with one stderr handler in ``fmt`` that masks ``secrets``."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    inner = (
        JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
        if fmt == "json"
        else logging.Formatter(TEXT_FORMAT)
    )
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
