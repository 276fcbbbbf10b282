"""Following a training run through its ``metrics.jsonl`` while the trainer is still writing it.

The file is the trainer's progress protocol (``artifact.run_metrics``): one JSON object per
line, ``event`` being progress, eval, done or error. It is read incrementally from where the last
read stopped; a line the trainer has not finished writing yet waits for the next read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifact.run_metrics import METRICS_FILE


@dataclass
class RunProgress:
    """What is known of a run so far, folded from its events."""

    step: int = 0
    total_steps: int = 0
    loss: float | None = None
    val_loss: float | None = None
    eta_s: float | None = None
    elapsed_s: float | None = None
    tokens_per_s: float | None = None
    done: bool = False
    stopped: str | None = None  # the trainer stopped before the last step (signal, its own time limit)
    error: str | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        self.step = int(event.get("step") or self.step)
        self.total_steps = int(event.get("total_steps") or self.total_steps)
        self.elapsed_s = _number(event.get("elapsed_s"), self.elapsed_s)
        if kind == "progress":
            self.loss = _number(event.get("loss"), self.loss)
            self.eta_s = _number(event.get("eta_s"), self.eta_s)
            self.tokens_per_s = _number(event.get("tokens_per_s"), self.tokens_per_s)
        elif kind == "eval":
            self.val_loss = _number(event.get("val_loss"), self.val_loss)
        elif kind == "done":
            self.done = True
            self.stopped = event.get("stopped") or None
            self.eta_s = 0.0
            self.val_loss = _number(event.get("val_loss"), self.val_loss)
        elif kind == "error":
            self.error = str(event.get("message") or "the trainer reported an error")

    def to_dict(self) -> dict[str, Any]:
        fields = ("step", "total_steps", "loss", "val_loss", "eta_s", "elapsed_s", "tokens_per_s")
        return {name: getattr(self, name) for name in fields}


def _number(value: Any, fallback: float | None) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return fallback


@dataclass
class MetricsTail:
    """Reads the complete lines added to a run's ``metrics.jsonl`` since the last call."""

    run_dir: Path
    progress: RunProgress = field(default_factory=RunProgress)
    _offset: int = 0

    @property
    def path(self) -> Path:
        return self.run_dir / METRICS_FILE

    def read(self) -> RunProgress:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return self.progress
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # not the protocol; the trainer's exit status still tells what happened
            if isinstance(event, dict):
                self.progress.apply(event)
        return self.progress
