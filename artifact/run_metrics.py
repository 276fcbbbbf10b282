"""A training run's ``metrics.jsonl``: the protocol between the trainer (writer) and the retraining
worker (reader, following the file while a child process writes it).

One JSON object per line; ``event`` is ``progress``, ``eval``, ``done`` or ``error``, and every
event carries ``step``, ``total_steps`` and ``elapsed_s``. ``progress`` adds ``loss``, ``eta_s``
and ``tokens_per_s``; ``eval`` and ``done`` add ``val_loss``; ``done`` may add ``stopped``;
``error`` adds ``message``. The loss curve is drawn beside it as ``LOSS_PLOT_FILE``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from artifact.files import write_atomic

METRICS_FILE = "metrics.jsonl"
LOSS_PLOT_FILE = "loss.png"
Event = Literal["progress", "eval", "done", "error"]
ENDINGS: tuple[Event, ...] = ("done", "error")


class MetricsLog:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / METRICS_FILE

    def write(self, event: Event, **fields: Any) -> None:
        record = {"event": event, **{k: _finite(v) for k, v in fields.items()}, "time": time.time()}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
            fh.flush()

    def events(self) -> Iterator[dict[str, Any]]:
        if not self.path.is_file():
            return
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    def rewind(self, step: int) -> None:
        """Forget what happened after ``step`` (a resumed run repeats it) and the old ending."""
        kept = [e for e in self.events() if e.get("step", 0) <= step and e["event"] not in ENDINGS]
        write_atomic(self.path, "".join(json.dumps(e) + "\n" for e in kept))


def _finite(value: Any) -> Any:
    """JSON has no NaN: non-finite floats become null (the ``error`` event says what happened)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
