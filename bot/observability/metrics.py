"""The Prometheus metrics of one running bot, in a registry of its own.

A registry per bot (not the process-wide default) lets tests and benchmarks run several bots in
one process. Rates are left to Prometheus: ``rate(bardling_generated_chars_total[1m])`` is
characters per second, ``histogram_quantile(0.99, rate(bardling_request_seconds_bucket[5m]))``
the p99 latency.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.registry import Collector

from bot.storage.models import JOB_STATES

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
OUTCOMES = ("ok", "refused", "busy", "failed", "cancelled")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bardling_requests",
            "Commands handled, by platform, command and outcome "
            "(ok, refused: the user was told why, busy: queue full, failed: our fault, cancelled).",
            ["platform", "command", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bardling_request_seconds",
            "Time from a command reaching the core to its reply, by command.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "bardling_requests_in_flight",
            "Commands being handled now (generating ones: queued or in the engine's batch).",
            ["command"],
            registry=self.registry,
        )
        self.generated_chars = Counter(
            "bardling_generated_chars",
            "Characters of generated text replied, seed included; rate() gives chars/s.",
            ["command"],
            registry=self.registry,
        )
        self.jobs = Gauge(
            "bardling_training_jobs",
            "Retraining jobs in the shared database by state, as of the last scrape.",
            ["state"],
            registry=self.registry,
        )
        for state in JOB_STATES:
            self.jobs.labels(state).set(0)
        self._extra: set[type[Collector]] = set()

    def add_collector(self, collector: Collector) -> None:
        """Register a collector read at scrape time; one of each kind (a restarted server adds none)."""
        if type(collector) not in self._extra:
            self.registry.register(collector)
            self._extra.add(type(collector))

    def set_job_states(self, counts: dict[str, int]) -> None:
        for state in JOB_STATES:
            self.jobs.labels(state).set(counts.get(state, 0))
