"""How a run reports itself to people: a rich progress bar and summary tables.

For programs a run writes ``metrics.jsonl``, whose format lives in ``artifact.run_metrics``.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table


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
