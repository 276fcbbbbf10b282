"""One handle on the database: migrated at open, read and write transactions, clean close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.errors import first_line
from bot.storage import migrate
from bot.storage.database import (
    Synchronous,
    beginning,
    create_engine,
    create_private_file,
    masked_url,
    without_password,
)

# One cheap read of each table: a damaged page or header fails here as it would fail a command.
PROBES = [
    text(f"SELECT {column} FROM {table} ORDER BY {column} DESC LIMIT 1")
    for table, column in (
        ("alembic_version", "version_num"),
        ("users", "id"),
        ("generations", "id"),
        ("favourites", "id"),
        ("training_jobs", "id"),
    )
]


class StorageError(RuntimeError):
    """The database cannot be opened or read (unreachable, not a database, damaged); one line."""


class Storage:
    """Repository functions (``bot.storage.users`` …) take this; it owns the engine and sessions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        self._write = async_sessionmaker(beginning(engine, "IMMEDIATE"), expire_on_commit=False)
        self._atomic = beginning(engine, "NONE")
        # SQLite has one writer at a time; queueing this process's write transactions here, not in
        # SQLite's busy handler (which sleeps in growing steps), keeps the lock busy, not idle.
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @classmethod
    async def open(
        cls, url: str, *, run_migrations: bool = True, synchronous: Synchronous = "NORMAL"
    ) -> Storage:
        try:
            create_private_file(url)
            engine = create_engine(url, synchronous=synchronous)
        except (OSError, ValueError) as err:
            raise StorageError(f"the database {masked_url(url)} cannot be opened: {err}") from err
        try:
            if run_migrations:
                await migrate.upgrade(engine)
        except Exception as err:
            await engine.dispose()
            first = first_line(err, 1000)
            raise StorageError(
                f"the database {masked_url(url)} cannot be opened: {without_password(first, url)}"
            ) from err
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def check(self) -> None:
        """Read a row of every table (not just ``SELECT 1``, which a damaged file still answers);
        raises what the database raises."""
        async with self.atomic() as conn:
            for probe in PROBES:
                await conn.execute(probe)

    async def close(self) -> None:
        await self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction (a consistent snapshot; never blocks the writer under WAL)."""
        async with self._read() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that writes: on SQLite it holds the write lock from its first statement.

        A read-then-update inside it must read with ``.with_for_update()`` (PostgreSQL's row lock;
        SQLite ignores it and is already serialised by ``BEGIN IMMEDIATE``).
        """
        async with self._write_turn or contextlib.nullcontext(), self._write() as session, session.begin():
            yield session

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[AsyncConnection]:
        """For exactly one statement: a read, or a write atomic by itself (``INSERT … ON CONFLICT``,
        a guarded ``UPDATE``). On SQLite no ``BEGIN``, so a write lock lasts only that statement.
        Use ``rowcount`` or ``inserted_primary_key``, not ``RETURNING``, which would keep the
        statement (and its lock) open until its rows are fetched.
        """
        async with self._atomic.begin() as conn:
            yield conn

    def insert(self, table: Any) -> Any:
        """The dialect's ``INSERT`` with ``ON CONFLICT`` (SQLite and PostgreSQL share the syntax)."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"no upsert for database {self.dialect!r}")
