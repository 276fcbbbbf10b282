"""Alembic migrations shipped in the package, applied programmatically at start-up.

A new revision goes in ``bot/storage/migrations/versions/``; write one with
``alembic -c bot/storage/migrations/alembic.ini revision --autogenerate -m "what changed"``
(``-x url=...`` picks the database to compare against; default a scratch SQLite file).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed 64-bit number, the same in every process: PostgreSQL advisory locks are keyed by it.
MIGRATION_LOCK_KEY = 0x6261_7264_6C69_6E67  # "bardling"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to ``revision`` inside one transaction (transactional DDL where supported).

    On PostgreSQL the transaction first takes an advisory lock, so replicas starting together
    migrate one after another: the first does the work, the others then find it at ``revision``.
    (SQLite serves one process, and its write lock already serialises writers.)
    """

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # a table copied by batch mode is dropped: its rows' foreign-key actions must not fire
            await conn.run_sync(_pragma, "foreign_keys=OFF")
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":  # released when the transaction ends
                    lock = text("SELECT pg_advisory_xact_lock(:key)")
                    await conn.execute(lock, {"key": MIGRATION_LOCK_KEY})
                await conn.run_sync(run)
        finally:
            if sqlite:
                await conn.run_sync(_pragma, "foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    """An SQLite PRAGMA outside any transaction (inside one, ``foreign_keys`` is silently ignored)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()
