"""The loss-curve picture written beside each run (and sent to admins by retraining jobs)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: runs on servers and in subprocesses

import matplotlib.pyplot as plt

from artifact.files import replacing
from artifact.run_metrics import LOSS_PLOT_FILE, MetricsLog


def plot_losses(run_dir: Path, title: str = "") -> Path:
    """Train and validation loss (nats/token) against step, from ``metrics.jsonl``."""
    train: list[tuple[int, float]] = []
    val: list[tuple[int, float]] = []
    for event in MetricsLog(run_dir).events():
        if event["event"] == "progress" and event.get("loss") is not None:
            train.append((event["step"], event["loss"]))
        elif event["event"] == "eval" and event.get("val_loss") is not None:
            val.append((event["step"], event["val_loss"]))
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    try:
        if train:
            ax.plot(*zip(*train, strict=True), label="train", linewidth=1)
        if val:
            ax.plot(*zip(*val, strict=True), label="validation", marker="o", markersize=3)
        ax.set_xlabel("step")
        ax.set_ylabel("loss (nats/token)")
        ax.set_title(title or run_dir.name)
        ax.grid(alpha=0.3)
        if train or val:
            ax.legend()
        path = run_dir / LOSS_PLOT_FILE
        with replacing(path) as tmp:
            fig.savefig(tmp)
        return path
    finally:
        plt.close(fig)
