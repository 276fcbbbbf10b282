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
