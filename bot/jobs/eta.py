"""A retraining job's ETA covers the whole job, not only the training the trainer can see.

After training come the export (ONNX, the parity check, the held-out evaluation), measuring the
served version and the gate; on a small model they can take longer than the training. Their
length is taken from the last jobs that got that far (same model first: its held-out split sets
the cost), else guessed from the training time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

AFTER_TRAINING = "after_training_s"  # recorded in a finished job's metrics
JOB_ETA = "job_eta_s"  # a running job's metrics: seconds until the whole job ends
FIRST_GUESS_S = 30.0  # two child processes start, load torch, and read the corpus
FIRST_GUESS_FRACTION = 0.2  # ... and evaluate on the held-out split, which scales with training


def after_training_estimate(model: str, previous: Iterable[tuple[str, Mapping[str, Any]]]) -> float | None:
    """Seconds the stages after training took in the latest job of ``model`` that recorded them,
    else in the latest job of any model; None when no job has."""
    recorded = [(name, _number(m.get(AFTER_TRAINING))) for name, m in previous]
    same = [seconds for name, seconds in recorded if seconds is not None and name == model]
    chosen = same or [seconds for _, seconds in recorded if seconds is not None]
    return chosen[0] if chosen else None


def job_eta(
    metrics: Mapping[str, Any], *, estimate: float | None, after_training_so_far: float | None
) -> float | None:
    """Seconds until the job ends: training's own ETA plus the stages after it, or, once training
    is over (``after_training_so_far`` set), what is left of those stages (never below zero)."""
    elapsed, training = _number(metrics.get("elapsed_s")), _number(metrics.get("eta_s"))
    after = estimate
    if after is None:
        if elapsed is None:
            return None
        after = FIRST_GUESS_S + FIRST_GUESS_FRACTION * (elapsed + (training or 0.0))
    if after_training_so_far is not None:
        return max(0.0, after - after_training_so_far)
    return None if training is None else training + after


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
