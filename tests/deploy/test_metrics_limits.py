"""The metrics server cannot be starved: idle connections close, a cap refuses the excess, accept
errors are logged once a minute; and /healthz reads the tables, so a damaged database is unhealthy."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Invocation
from bot.observability.server import MetricsServer
from tests.deploy.test_metrics import fetch

pytestmark = pytest.mark.usefixtures("quiet_root_logger")


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), within) == b""
    except TimeoutError:
        return False


async def test_idle_connections_are_closed_and_the_excess_refused(bot_settings: Settings) -> None:
    async with Bardling(bot_settings) as app:
        server = MetricsServer(app, "127.0.0.1", 0, max_connections=3, idle_timeout_s=0.5)
        await server.start()
        try:
            idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]
            await asyncio.sleep(0.05)
            extra_reader, extra_writer = await asyncio.open_connection("127.0.0.1", server.port)
            assert await closed_by_server(extra_reader, 0.4)  # over the cap: closed at once
            for reader, _ in idle:
                assert await closed_by_server(reader, 3.0)  # idle: closed after the timeout
            assert (await fetch(server, "/healthz"))[0] == 200
            for _, writer in [*idle, (extra_reader, extra_writer)]:
                writer.close()
        finally:
            await server.stop()


async def test_accept_errors_are_logged_at_most_once_a_minute(
    bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with Bardling(bot_settings) as app:
        server = MetricsServer(app, "127.0.0.1", 0)
        await server.start()
        try:
            with caplog.at_level(logging.ERROR, logger="asyncio"):
                for _ in range(500):
                    logging.getLogger("asyncio").error(
                        "socket.accept() out of system resource\nexception: OSError(24, 'Too many files')"
                    )
        finally:
            await server.stop()
    assert len([r for r in caplog.records if "socket.accept()" in r.getMessage()]) == 1


async def test_healthz_reads_the_tables_so_a_damaged_database_is_unhealthy(bot_settings: Settings) -> None:
    async with Bardling(bot_settings) as app:
        for n in range(3):
            await app.core.handle(Invocation("console", "1", "t", "1", "poem", f"O {n}"))
        server = MetricsServer(app, "127.0.0.1", 0)
        await server.start()
        try:
            assert (await fetch(server, "/healthz"))[0] == 200
            database = bot_settings.data_dir / "bardling.db"
            async with app.storage.atomic() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            size = database.stat().st_size
            with database.open("r+b") as fh:  # every page but the first zeroed, as in the report
                fh.seek(4096)
                fh.write(b"\0" * (size - 4096))
                os.fsync(fh.fileno())
            await app.storage.engine.dispose()  # as after a restart: no page cached from before
            status, body = await fetch(server, "/healthz")
        finally:
            await server.stop()
    assert status == 503 and "unhealthy" in body
