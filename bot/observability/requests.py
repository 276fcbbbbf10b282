"""One invocation as operators see it: a request id for its log lines, counters, a latency, one log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.observability.logs import new_request_id, request_id
from bot.observability.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass
class Observation:
    """Filled in by the caller before the block ends; left as is, the request counts as cancelled."""

    outcome: str = "cancelled"
    generated_chars: int = 0


@contextmanager
def observe(metrics: Metrics, platform: str, command: str) -> Iterator[Observation]:
    """Give the block a fresh request id, time it, count it, and log one line when it ends."""
    token = request_id.set(new_request_id())
    seen = Observation()
    in_flight = metrics.in_flight.labels(command)
    in_flight.inc()
    start = time.perf_counter()
    try:
        yield seen
    finally:
        elapsed = time.perf_counter() - start
        in_flight.dec()
        metrics.requests.labels(platform, command, seen.outcome).inc()
        metrics.latency.labels(command).observe(elapsed)
        if seen.generated_chars:
            metrics.generated_chars.labels(command).inc(seen.generated_chars)
        log.info(
            "/%s on %s: %s in %.3f s",
            command,
            platform,
            seen.outcome,
            elapsed,
            extra={"platform": platform, "command": command, "outcome": seen.outcome, "seconds": elapsed},
        )
        request_id.reset(token)
