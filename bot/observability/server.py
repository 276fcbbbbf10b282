"""``/metrics`` (Prometheus text format) and ``/healthz`` on a small aiohttp server beside the bot.

It runs on the bot's event loop; every answer is built from what is in memory plus one short
database query, so a scrape costs the bot about as much as one cheap command. It never lets
clients use up the bot's open files: a connection idle for ``IDLE_TIMEOUT_S`` is closed, one past
``MAX_CONNECTIONS`` is refused at once, and should accepting still fail for want of files, that is
logged at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.observability.engine_metrics import EngineCollector
from bot.observability.logs import one_line
from bot.storage import jobs

if TYPE_CHECKING:
    from bot.app import Bardling

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_S = 3.0
IDLE_TIMEOUT_S = 15.0  # a scraper connects, asks and goes; a connection idle this long is closed
MAX_CONNECTIONS = 64  # Prometheus and a health check need a handful
ACCEPT_ERROR_EVERY_S = 60.0


class MetricsServer:
    """``await start()`` listens on ``host:port`` (port 0: any free one, see ``port``); ``await stop()``."""

    def __init__(
        self,
        app: Bardling,
        host: str,
        port: int,
        *,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._max_connections = max_connections
        self._idle_timeout_s = idle_timeout_s
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._log_filter = AcceptErrorFilter(ACCEPT_ERROR_EVERY_S)
        app.core.metrics.add_collector(EngineCollector(app.engine))

    @property
    def port(self) -> int:
        if self._listener is None or not self._listener.sockets:
            raise RuntimeError("the metrics server is not running")
        return int(self._listener.sockets[0].getsockname()[1])

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_get("/metrics", self._metrics)
        web_app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(
            web_app, access_log=None, shutdown_timeout=1.0, keepalive_timeout=self._idle_timeout_s
        )
        await self._runner.setup()
        handlers = self._runner.server
        assert handlers is not None  # set up above
        self._listener = await asyncio.get_running_loop().create_server(
            _Capped(handlers, self._max_connections), self._host, self._port, reuse_address=True
        )
        logging.getLogger("asyncio").addFilter(self._log_filter)
        log.info("metrics and health on http://%s:%d/metrics and /healthz", self._host, self.port)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        logging.getLogger("asyncio").removeFilter(self._log_filter)

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
            async with asyncio.timeout(DATABASE_TIMEOUT_S):
                await self._app.storage.check()
        except Exception as err:
            return web.json_response({"status": "unhealthy", "database": one_line(err)}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})


class _Capped:
    """The protocol factory the listening socket uses: aiohttp's request handler while there are
    fewer than ``limit`` connections; past that, a protocol that closes the connection at once."""

    def __init__(self, handlers: web.Server, limit: int) -> None:
        self._handlers = handlers
        self._limit = limit

    def __call__(self) -> asyncio.BaseProtocol:
        if len(self._handlers.connections) >= self._limit:
            return _Refused()
        return self._handlers()


class _Refused(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class AcceptErrorFilter(logging.Filter):
    """asyncio logs every failed ``accept()`` (out of open files), many times a second while it lasts;
    this lets one through per ``every_s`` and counts the rest into it."""

    MESSAGE = "socket.accept() out of system resource"

    def __init__(self, every_s: float) -> None:
        super().__init__()
        self._every_s = every_s
        self._last = -float("inf")
        self._dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.MESSAGE):
            return True
        now = time.monotonic()
        if now - self._last < self._every_s:
            self._dropped += 1
            return False
        if self._dropped:
            record.msg = f"{record.msg} ({self._dropped} more like it since the last report)"
        self._last, self._dropped = now, 0
        return True


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
