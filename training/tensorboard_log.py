"""Optional TensorBoard logging (``bardling train --tensorboard``) beside ``metrics.jsonl``.

TensorBoard is an optional dependency (``pip install -e '.[tensorboard]'``): without it a run
trains exactly the same and says once that the event files were not written.
``metrics.jsonl`` stays the record that everything else reads; this only mirrors its numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artifact.run_metrics import Event, MetricsLog

TENSORBOARD_DIR = "tensorboard"  # inside the run directory: tensorboard --logdir <runs dir>
_SCALARS = {"progress": ("loss", "lr", "tokens_per_s"), "eval": ("val_loss",)}


def tensorboard_missing() -> str | None:
    """Why TensorBoard logging cannot run here, or None when it can."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        return "TensorBoard is not installed (pip install tensorboard); training without it"
    return None


class TensorBoardLog(MetricsLog):
    """A ``MetricsLog`` that also writes each event's numbers as TensorBoard scalars."""

    def __init__(self, run_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        super().__init__(run_dir)
        self._writer = SummaryWriter(log_dir=str(run_dir / TENSORBOARD_DIR))

    def write(self, event: Event, **fields: Any) -> None:
        super().write(event, **fields)
        step = fields.get("step")
        for name in _SCALARS.get(event, ()):
            value = fields.get(name)
            if isinstance(value, int | float) and step is not None:
                self._writer.add_scalar(f"{event}/{name}", value, step)
        if event in ("eval", "done", "error"):
            self._writer.flush()
