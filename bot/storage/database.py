"""The async engine, with SQLite made safe for concurrent read-modify-write.

Python's sqlite3 (and so aiosqlite) never emits ``BEGIN`` before a ``SELECT``, so a read followed
by a write is not one transaction and concurrent tasks silently lose updates. Following
SQLAlchemy's documented recipe, the driver's own transaction handling is switched off and
SQLAlchemy emits ``BEGIN`` itself — ``BEGIN IMMEDIATE`` on the write engine, which takes SQLite's
write lock up front, so a writer never upgrades a stale read. A single statement needs no
transaction around it (SQLite makes each statement atomic): on the *atomic* engine nothing is
emitted, so SQLite holds its write lock only while that statement runs on the driver's thread,
never across a trip back to the event loop — under load, that is what keeps writes from queueing
behind each other. WAL lets readers run beside the one
writer; ``busy_timeout`` makes a second writer wait instead of failing. ``synchronous``: under WAL,
``NORMAL`` (the default) keeps every acknowledged commit through a crash or kill of the process
and needs no fsync per commit; ``FULL`` also survives power loss, at one fsync per write.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

BUSY_TIMEOUT_MS = 30_000
Synchronous = Literal["NORMAL", "FULL"]
_BEGIN = "bardling_sqlite_begin"
Begin = Literal["DEFERRED", "IMMEDIATE", "NONE"]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


SECRET_QUERY_KEYS = re.compile(r"pass|secret|token|key", re.IGNORECASE)
USERINFO = re.compile(r"([^:/@?]*)(?::(.*))?@([^@/?]*)(.*)", re.DOTALL)  # greedy: to the last @


def masked_url(url: str) -> str:
    """The URL with no part of a password: ``user:***@host``, and ``***`` for any query value whose
    name suggests a secret. Worked on the text itself, so an unencoded ``@``, ``/`` or ``?`` in the
    password (which would mislead a URL parser) is hidden all the same: the password runs to the
    last ``@`` (at worst, more is hidden than needed)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***"
    tail = rest
    found = None if scheme.startswith("sqlite") else USERINFO.fullmatch(rest)
    if found:
        user, password, host, tail = found.groups()
        rest = f"{user}{':***' if password is not None else ''}@{host}"
    else:
        rest, tail = "", rest
    path, qmark, query = tail.partition("?")
    if qmark:
        pairs = [pair.partition("=") for pair in query.split("&")]
        query = "&".join(
            f"{k}{eq}***" if eq and SECRET_QUERY_KEYS.search(k) else f"{k}{eq}{v}" for k, eq, v in pairs
        )
    return f"{scheme}://{rest}{path}{qmark}{query}"


def without_password(text: str, url: str) -> str:
    """``text`` (a driver's error) with every piece of the URL's password taken out: a password with
    an unencoded ``@`` is misparsed, and its tail may come back as part of a host name."""
    found = USERINFO.fullmatch(url.partition("://")[2])
    password = (found.group(2) or "") if found else ""
    query = url.rpartition("?")[2] if "?" in url else ""
    secrets = [v for k, _, v in (p.partition("=") for p in query.split("&")) if SECRET_QUERY_KEYS.search(k)]
    for piece in sorted({password, *password.split("@"), *secrets}, key=len, reverse=True):
        if len(piece) >= 2:
            text = text.replace(piece, "***")
    return text


def sqlite_path(url: str) -> Path | None:
    """The file an SQLite URL names (None: not SQLite, or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_private_file(url: str) -> None:
    """Create a new SQLite database file readable by its owner only (0600; SQLite gives its WAL
    and shared-memory files the same mode), in a new directory that is 0700. An existing file or
    directory keeps the mode its operator chose."""
    path = sqlite_path(url)
    if path is None or path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process created it first
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def create_engine(url: str, *, synchronous: Synchronous = "NORMAL") -> AsyncEngine:
    """An engine for ``url``; on SQLite with WAL, a busy timeout, foreign keys and explicit BEGIN."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below), not the driver
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
            "secure_delete=ON",  # deleted rows (``/forget``) are overwritten, not left in free pages
            f"synchronous={synchronous}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        begin: Begin = conn.get_execution_options().get(_BEGIN, "DEFERRED")
        if begin != "NONE":
            conn.exec_driver_sql("BEGIN" if begin == "DEFERRED" else "BEGIN IMMEDIATE")

    return engine


def beginning(engine: AsyncEngine, begin: Begin) -> AsyncEngine:
    """The same pool, with SQLite transactions begun this way (no effect on other databases)."""
    return engine.execution_options(**{_BEGIN: begin})
