"""The engine's figures, read when Prometheus scrapes: served model versions with the execution
provider each really runs on, and, where the engine reports them, queue depth and batch size."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.engine.api import BatchStats, Generator

NOT_LOADED = "none"  # the provider label of a model not loaded yet (loads on first use)


@runtime_checkable
class ReportsBatches(Protocol):
    def batch_stats(self) -> Sequence[BatchStats]: ...


class EngineCollector(Collector):
    def __init__(self, engine: Generator) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        served = GaugeMetricFamily(
            "bardling_model",
            "Served model versions (1 each); provider: the ONNX Runtime execution provider in use.",
            labels=["model", "version", "kind", "provider"],
        )
        for info in self._engine.models():
            served.add_metric([info.name, info.version, info.kind, info.provider or NOT_LOADED], 1)
        yield served
        if isinstance(self._engine, ReportsBatches):
            yield from _batch_metrics(self._engine.batch_stats())


def _batch_metrics(stats: Sequence[BatchStats]) -> Iterator[Metric]:
    labels = ["model", "version"]
    queued = GaugeMetricFamily(
        "bardling_engine_queue_depth", "Requests waiting for a batch slot.", labels=labels
    )
    batch = GaugeMetricFamily("bardling_engine_batch_size", "Sequences in the current step.", labels=labels)
    steps = CounterMetricFamily("bardling_engine_steps", "Model steps run (batched).", labels=labels)
    for s in stats:
        queued.add_metric([s.model, s.version], s.queued)
        batch.add_metric([s.model, s.version], s.batch)
        steps.add_metric([s.model, s.version], s.steps)
    yield from (queued, batch, steps)
