"""``/metrics`` and ``/healthz`` on a real bot (tiny models), and request ids in the logs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import aiohttp
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Bardling
from bot.config import Settings
from bot.core.args import Args
from bot.core.context import Context
from bot.core.registry import Command
from bot.core.types import CommandSpec, Invocation, Reply
from bot.engine.api import BatchStats, ModelInfo
from bot.observability.engine_metrics import EngineCollector
from bot.observability.logs import configure_logging
from bot.observability.metrics import Metrics
from bot.observability.server import MetricsServer, serving
from bot.storage import jobs
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.usefixtures("quiet_root_logger")


def ask(command: str, args: str = "", user: str = "7") -> Invocation:
    return Invocation("console", user, "tester", user, command, args)


async def fetch(server: MetricsServer, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}{path}") as answer,
    ):
        return answer.status, await answer.text()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


async def _broken(ctx: Context, args: Args) -> Reply:
    raise RuntimeError("a bug")


async def test_metrics_count_commands_by_outcome_and_show_models_and_jobs(bot_settings: Settings) -> None:
    async with Bardling(bot_settings) as app, serving(app, "127.0.0.1", 0) as server:
        assert server is not None
        app.core.registry.add(Command(CommandSpec("broken", "Fails"), _broken))
        replies = [
            await app.core.handle(ask("poem", "O")),
            await app.core.handle(ask("poem", "Fair")),
            await app.core.handle(ask("no_such_command")),
            await app.core.handle(ask("broken")),
        ]
        await jobs.create(app.storage, model="dinos", requested_by="cli", params={})
        status, text = await fetch(server, "/metrics")
    assert status == 200
    found = samples(text)
    assert value(found, "bardling_requests_total", platform="console", command="poem", outcome="ok") == 2
    assert (
        value(found, "bardling_requests_total", platform="console", command="unknown", outcome="refused") == 1
    )
    assert (
        value(found, "bardling_requests_total", platform="console", command="broken", outcome="failed") == 1
    )
    assert value(found, "bardling_request_seconds_count", command="poem") == 2
    assert value(found, "bardling_request_seconds_bucket", command="poem", le="+Inf") == 2
    chars = sum(len(r.text) for r in replies[:2])
    assert value(found, "bardling_generated_chars_total", command="poem") == chars
    assert value(found, "bardling_requests_in_flight", command="poem") == 0
    model = {"model": "shakespeare", "version": "1", "kind": "verse", "provider": "cpu"}
    assert value(found, "bardling_model", **model) == 1
    assert value(found, "bardling_model", model="dinos", version="1", kind="names", provider="none") == 1
    served = {"model": "shakespeare", "version": "1"}  # the engine's batcher of the loaded version
    assert value(found, "bardling_engine_queue_depth", **served) == 0
    assert value(found, "bardling_engine_batch_size", **served) == 1  # one poem at a time
    assert value(found, "bardling_engine_steps_total", **served) > 0
    unloaded = [
        name for name, labels in found if name.startswith("bardling_engine") and ("model", "dinos") in labels
    ]
    assert not unloaded  # dinos is not loaded yet: no batcher to report
    assert value(found, "bardling_training_jobs", state="queued") == 1
    assert value(found, "bardling_training_jobs", state="running") == 0


async def test_healthz_answers_ok_while_the_database_answers(bot_settings: Settings) -> None:
    async with Bardling(bot_settings) as app, serving(app, "127.0.0.1", 0) as server:
        assert server is not None
        status, text = await fetch(server, "/healthz")
    assert status == 200 and json.loads(text) == {"status": "ok", "database": "ok"}


async def test_no_port_no_server(bot_settings: Settings) -> None:
    async with Bardling(bot_settings) as app, serving(app, "127.0.0.1", None) as server:
        assert server is None


@pytest.mark.postgres
async def test_healthz_is_unhealthy_when_the_database_is_gone(
    bot_settings: Settings, postgres_server: PostgresServer
) -> None:
    import asyncpg

    url = await postgres_server.create_database()
    name = url.rsplit("/", 1)[1]
    settings = bot_settings.model_copy(update={"database_url": url})
    async with Bardling(settings) as app, serving(app, "127.0.0.1", 0) as server:
        assert server is not None
        conn = await asyncpg.connect(host="127.0.0.1", port=postgres_server.port, user="postgres")
        try:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        status, text = await fetch(server, "/healthz")
        metrics_status, _ = await fetch(server, "/metrics")  # still answers, with the last job states
    assert status == 503
    assert json.loads(text)["status"] == "unhealthy"
    assert metrics_status == 200


class _ReportingEngine:
    """An engine that reports its batchers, as ``Engine.batch_stats()`` is meant to."""

    def models(self) -> list[ModelInfo]:
        return [ModelInfo("shakespeare", "2", "verse", "", {}, provider="cuda")]

    def batch_stats(self) -> list[BatchStats]:
        return [BatchStats("shakespeare", "2", queued=3, batch=64, steps=1200)]


def test_queue_depth_and_batch_size_come_from_an_engine_that_reports_them() -> None:
    metrics = Metrics()
    metrics.add_collector(EngineCollector(_ReportingEngine()))  # type: ignore[arg-type]
    found = samples(generate_latest(metrics.registry).decode())
    labels = {"model": "shakespeare", "version": "2"}
    assert value(found, "bardling_engine_queue_depth", **labels) == 3
    assert value(found, "bardling_engine_batch_size", **labels) == 64
    assert value(found, "bardling_engine_steps_total", **labels) == 1200
    assert value(found, "bardling_model", kind="verse", provider="cuda", **labels) == 1


async def _log_inside(ctx: Context, args: Args) -> Reply:
    async def inner() -> None:
        await asyncio.sleep(0.01)
        logging.getLogger("tests.inner").info("inside %s", ctx.inv.user_id)

    await asyncio.create_task(inner())  # a task started while handling keeps the request's id
    return Reply("done")


def _json_lines(err: str) -> Iterator[dict[str, object]]:
    for line in err.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


async def test_json_logs_carry_one_request_id_per_invocation(
    bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    async with Bardling(bot_settings) as app:
        app.core.registry.add(Command(CommandSpec("trace", "Logs from a task"), _log_inside))
        await asyncio.gather(*(app.core.handle(ask("trace", user=str(u))) for u in (1, 2, 3)))
    lines = list(_json_lines(capsys.readouterr().err))
    inner = {line["message"]: line["request_id"] for line in lines if line["name"] == "tests.inner"}
    done = [line for line in lines if line.get("command") == "trace"]
    assert len(done) == 3 and {line["outcome"] for line in done} == {"ok"}
    assert {line["request_id"] for line in done} == set(inner.values())
    assert len(set(inner.values())) == 3
    assert all(isinstance(line["time"], str) and line["level"] == "INFO" for line in done)
