"""A throw-away PostgreSQL server for the storage tests, started from Debian's binaries.

One server per test session on 127.0.0.1 and a free port, in a temporary directory; each test
gets a fresh database. ``initdb`` refuses to run as root, so as root the server runs as the
``postgres`` system user. Where the binaries (or that user) are missing, the tests that need the
server skip and say why.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import pytest

SYSTEM_USER = "postgres"
DB_USER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<major>/bin`` that has ``initdb``."""
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    return max(candidates, key=lambda p: int(p.parent.name), default=None) if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    as_user: list[str]  # command prefix that runs a binary as the server's owner
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir), "-U", DB_USER, "-A", "trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.root / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{DB_USER}@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        import asyncpg

        name = f"bardling_test_{os.getpid()}_{next(self._names)}"
        conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user=DB_USER, database="postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)


def unavailable_reason() -> str | None:
    if find_bin_dir() is None:
        return "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no {SYSTEM_USER!r} user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


def start_server() -> PostgresServer:
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="bardling-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SYSTEM_USER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", SYSTEM_USER, "--"]
    root.chmod(0o700)
    server = PostgresServer(bin_dir, root, _free_port(), as_user)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
