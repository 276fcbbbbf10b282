"""How a run reports itself: ``metrics.jsonl`` (for programs) and a rich progress bar (for people).

``metrics.jsonl`` is a protocol: the retraining worker runs ``bardling train`` in a subprocess
and follows this file. One JSON object per line; ``event`` is ``progress``, ``eval``, ``done``
or ``error``, and every event carries ``step``, ``total_steps`` and ``elapsed_s``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / METRICS_FILE

    def write(self, event: str, **fields: Any) -> None:
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
        kept = [e for e in self.events() if e.get("step", 0) <= step and e["event"] not in ("done", "error")]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(e) + "\n" for e in kept), "utf-8")
        tmp.replace(self.path)


def _finite(value: Any) -> Any:
    """JSON has no NaN: non-finite floats become null (the ``error`` event says what happened)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class ProgressView:
    """A progress bar with the loss and throughput; silent when ``enabled`` is false."""

    def __init__(self, total: int, start: int, enabled: bool, console: Console | None = None) -> None:
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
        )
        self.task = self.progress.add_task("train", total=total, completed=start, info="")
        self.val: float | None = None

    def __enter__(self) -> ProgressView:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def set_val(self, val: float) -> None:
        self.val = val

    def update(self, step: int, loss: float, tokens_per_s: float) -> None:
        info = f"loss {loss:.3f}" + (f"  val {self.val:.3f}" if self.val is not None else "")
        self.progress.update(self.task, completed=step, info=f"{info}  {tokens_per_s:,.0f} tok/s")


def summary_table(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for key, value in rows.items():
        if value is None:
            continue
        if isinstance(value, float):
            if value.is_integer() and abs(value) >= 1:
                shown = f"{value:,.0f}"
            else:
                shown = f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4f}"
        else:
            shown = str(value)
        table.add_row(key, shown)
    return table
