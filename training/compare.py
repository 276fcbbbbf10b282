"""Several architectures trained on one corpus with one budget, and a table of their figures.

The d2l book compares RNN, GRU, LSTM and a deep LSTM on *The Time Machine*; this reproduces
that comparison with the project's own trainer, so each row is an ordinary run (checkpoints,
``metrics.jsonl``, ``summary.json``) that ``bardling evaluate`` or ``bardling export`` accept.
Only the cell and the number of layers differ between rows; everything else in the
configuration, including the seed and the split, is shared.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, cast

from rich.table import Table

from training.config import CONFIG_FILE, Cell, TrainConfig, read_run_config
from training.trainer import RunOptions, TrainingError, train

MARKDOWN_FILE = "comparison.md"
JSON_FILE = "comparison.json"
_ARCH = re.compile(r"^(rnn|gru|lstm)([1-9][0-9]*)?$")


@dataclass(frozen=True)
class Arch:
    """A row's model: ``lstm2`` is a 2-layer LSTM, ``gru`` a 1-layer GRU."""

    label: str
    cell: Cell
    layers: int


@dataclass
class Row:
    """One architecture's outcome; the figures are None when its run failed (``error`` says why)."""

    arch: str
    cell: str
    layers: int
    hidden: int
    parameters: int | None = None
    steps: int | None = None
    best_step: int | None = None
    train_time_s: float | None = None
    val_loss: float | None = None
    val_bpc: float | None = None
    val_ppl: float | None = None
    windowed_256_loss: float | None = None
    stopped: str | None = None
    hardware: str | None = None
    run_dir: str = ""
    error: str | None = None


def parse_archs(text: str | Sequence[str]) -> list[Arch]:
    """``"rnn,gru,lstm,lstm2"`` → architectures; a trailing number is the number of layers."""
    labels = [p.strip() for p in text.split(",")] if isinstance(text, str) else [p.strip() for p in text]
    labels = [p for p in labels if p]
    if not labels:
        raise ValueError("--archs names no architecture")
    archs: list[Arch] = []
    for label in labels:
        match = _ARCH.match(label.lower())
        if match is None:
            raise ValueError(
                f"unknown architecture {label!r}: use rnn, gru or lstm, optionally with a layer count (lstm2)"
            )
        archs.append(Arch(label.lower(), cast(Cell, match.group(1)), int(match.group(2) or 1)))
    seen = [a.label for a in archs]
    if len(set(seen)) != len(seen):
        raise ValueError(f"--archs names an architecture twice: {','.join(seen)}")
    return archs


def compare(
    base: TrainConfig,
    archs: Sequence[Arch],
    out_dir: Path,
    options: RunOptions,
    *,
    on_start: Callable[[int, Arch, Path], None] | None = None,
) -> list[Row]:
    """Train ``base`` once per architecture under ``out_dir/<label>`` and write the comparison.

    A run directory that already holds a run is continued rather than restarted, so an
    interrupted comparison resumes with the same command; its recorded settings must match.
    Returns the rows, also written to ``comparison.md`` and ``comparison.json`` after every run
    so a partial comparison is never lost. A row whose training failed keeps its error and the
    others still run; an interrupted run (``options.should_stop``) ends the comparison there.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    started = time.monotonic()
    for index, arch in enumerate(archs):
        config = replace(base, arch=arch.cell, layers=arch.layers)
        config.validate()
        run_dir = out_dir / arch.label
        if on_start is not None:
            on_start(index, arch, run_dir)
        row = Row(arch.label, arch.cell, arch.layers, config.hidden, run_dir=str(run_dir))
        fresh = _config_for(run_dir, config)  # a mismatch ends the comparison, not just this row
        try:
            summary = train(run_dir, options, fresh)
        except TrainingError as exc:
            row.error = str(exc)
        else:
            _fill(row, summary)
        rows.append(row)
        write_outputs(out_dir, base, rows, wall_time_s=time.monotonic() - started)
        if row.stopped == "interrupted":
            break
    return rows


def _config_for(run_dir: Path, config: TrainConfig) -> TrainConfig | None:
    """None (continue the run there) when ``run_dir`` already holds this configuration's run."""
    if not (run_dir / CONFIG_FILE).is_file():
        return config
    recorded = read_run_config(run_dir)["config"]
    differs = sorted(k for k, v in config.to_dict().items() if v is not None and recorded.get(k) != v)
    if differs:
        raise TrainingError(
            f"{run_dir} holds a run with other settings ({', '.join(differs)}); choose another --out"
        )
    return None


def _fill(row: Row, summary: dict[str, Any]) -> None:
    row.stopped = summary.get("stopped")
    metrics = summary.get("metrics")
    if metrics is None:  # interrupted: no final figures yet
        row.steps = summary.get("step")
        return
    row.parameters = summary.get("parameters")
    row.best_step = summary.get("best_step")
    row.steps = metrics.get("steps")
    row.train_time_s = metrics.get("train_time_s")
    row.val_loss = metrics.get("val_loss")
    row.val_bpc = metrics.get("val_bpc")
    row.val_ppl = metrics.get("val_ppl")
    row.windowed_256_loss = metrics.get("windowed_256_loss")
    row.hardware = metrics.get("hardware")


def shared_settings(base: TrainConfig, rows: Sequence[Row] = ()) -> dict[str, Any]:
    """What every row shares, as the first run recorded it (so defaults like the tokenizer mode
    appear resolved); the architecture fields differ per row and are left out."""
    settings = base.to_dict()
    for row in rows:
        if (Path(row.run_dir) / CONFIG_FILE).is_file():
            settings = read_run_config(Path(row.run_dir))["config"]
            break
    return {k: v for k, v in settings.items() if k not in ("arch", "layers")}


def _data_facts(rows: Sequence[Row]) -> dict[str, Any]:
    for row in rows:
        if (Path(row.run_dir) / CONFIG_FILE).is_file():
            recorded = read_run_config(Path(row.run_dir))
            return {"corpus": recorded["corpus"], "data": recorded["data"]}
    return {}


def write_outputs(out_dir: Path, base: TrainConfig, rows: Sequence[Row], *, wall_time_s: float) -> None:
    payload = {
        "corpus": base.corpus,
        "settings": shared_settings(base, rows),
        **_data_facts(rows),
        "wall_time_s": round(wall_time_s, 1),
        "rows": [asdict(r) for r in rows],
    }
    (out_dir / JSON_FILE).write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    (out_dir / MARKDOWN_FILE).write_text(markdown(base, rows, wall_time_s=wall_time_s), "utf-8")


def _columns(settings: dict[str, Any]) -> tuple[str, ...]:
    unit = "word" if settings.get("mode") == "word" else "char"
    return (
        "model",
        "parameters",
        "steps",
        "train time",
        f"val loss (nats/{unit})",
        "bits/char",
        "val perplexity",
    )


def _cells(row: Row) -> list[str]:
    if row.error is not None:
        return [row.arch, _int(row.parameters), _int(row.steps), "—", f"failed: {row.error}", "—", "—"]
    return [
        _model(row),
        _int(row.parameters),
        _int(row.steps) + (f" ({row.stopped})" if row.stopped else ""),
        "—" if row.train_time_s is None else f"{row.train_time_s:,.0f} s",
        _num(row.val_loss),
        _num(row.val_bpc),
        _num(row.val_ppl, 2),
    ]


def _model(row: Row) -> str:
    return f"{row.cell.upper()} {row.layers}×{row.hidden}"


def _int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _num(value: float | None, places: int = 4) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{places}f}"


def markdown(base: TrainConfig, rows: Sequence[Row], *, wall_time_s: float | None = None) -> str:
    """The comparison as a markdown table, with the shared settings it was trained under."""
    settings = shared_settings(base, rows)
    columns = _columns(settings)
    lines = [
        f"# {Path(base.corpus).stem}: architectures compared",
        "",
        "Validation figures are the exact stateful loss on the held-out text (the best checkpoint).",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(columns))) + "|",
    ]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    shared = ", ".join(f"{k} {v}" for k, v in settings.items() if v is not None and k != "corpus")
    lines += ["", f"Shared settings: {shared}."]
    if wall_time_s is not None:
        lines += ["", f"Wall time, training and evaluation of all rows: {wall_time_s / 60:.1f} min."]
    return "\n".join(lines) + "\n"


def rich_table(title: str, base: TrainConfig, rows: Sequence[Row]) -> Table:
    table = Table(title=title)
    for i, column in enumerate(_columns(shared_settings(base, rows))):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*_cells(row))
    return table
