"""``/metrics`` (Prometheus text format) and ``/healthz`` on a small aiohttp server beside the bot.

It runs on the bot's event loop; every answer is built from what is in memory plus one short
database query, so a scrape costs the bot about as much as one cheap command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.observability.engine_metrics import EngineCollector
from bot.observability.logs import one_line
from bot.storage import jobs

if TYPE_CHECKING:
    from bot.app import Bardling

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 3.0


class MetricsServer:
    """``await start()`` listens on ``host:port`` (port 0: any free one, see ``port``); ``await stop()``."""

    def __init__(self, app: Bardling, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        app.core.metrics.add_collector(EngineCollector(app.engine))

    @property
    def port(self) -> int:
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("the metrics server is not running")
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_get("/metrics", self._metrics)
        web_app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("metrics and health on http://%s:%d/metrics and /healthz", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        metrics = self._app.core.metrics
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S):
                metrics.set_job_states(await jobs.count_by_state(self._app.storage))
        except Exception as err:  # the scrape still answers, with the job states it last saw
            log.warning("could not read job states for /metrics: %s", one_line(err))
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        """200 while the database answers; 503 (with the reason) when it does not."""
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S), self._app.storage.atomic() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as err:
            return web.json_response({"status": "unhealthy", "database": one_line(err)}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})


@asynccontextmanager
async def serving(app: Bardling, host: str, port: int | None) -> AsyncIterator[MetricsServer | None]:
    """The server for the block's duration; nothing when ``port`` is None (metrics are off)."""
    if port is None:
        yield None
        return
    server = MetricsServer(app, host, port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
