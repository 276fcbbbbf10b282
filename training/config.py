"""A training run's settings: what ``config.json`` holds and what ``--resume`` restores."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from training.data import SPLIT_SEED, VAL_FRACTION, DataMode

CONFIG_FILE = "config.json"
DEFAULT_STEPS = 2500
Cell = Literal["rnn", "gru", "lstm"]


@dataclass
class TrainConfig:
    """Everything that determines the trained weights (device and time limits do not).

    The defaults are the shipped Shakespeare model's settings (a CPU-sized GRU).
    """

    corpus: str
    mode: DataMode | None = None  # None: the corpus's kind (char for plain files)
    lowercase: bool | None = None  # None: the corpus's default
    min_freq: int = 1
    arch: Cell = "gru"
    layers: int = 1
    hidden: int = 448
    emb: int = 64
    dropout: float = 0.35
    tie_weights: bool = False  # share the embedding with the output layer; needs emb == hidden
    batch: int = 64
    seq_len: int = 128
    lr: float = 4e-3
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    warmup: int = 100
    clip: float = 1.0
    steps: int | None = None  # None with epochs None: DEFAULT_STEPS
    epochs: float | None = None
    eval_every: int | None = None  # None: about ten evaluations per run
    seed: int = 1337
    val_fraction: float = VAL_FRACTION
    split_seed: int = SPLIT_SEED

    def validate(self) -> None:
        """Clear, early errors instead of a crash somewhere inside torch."""
        positive = {"layers": self.layers, "hidden": self.hidden, "emb": self.emb, "batch": self.batch}
        positive |= {"seq_len": self.seq_len, "min_freq": self.min_freq}
        for name, value in positive.items():
            if value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"--dropout must be in [0, 1), not {self.dropout}")
        if self.tie_weights and self.emb != self.hidden:
            raise ValueError(f"--tie-weights needs --emb equal to --hidden ({self.emb} ≠ {self.hidden})")
        if self.lr <= 0:
            raise ValueError(f"--lr must be positive, not {self.lr}")
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give --steps or --epochs, not both")
        if (self.steps is not None and self.steps < 1) or (self.epochs is not None and self.epochs <= 0):
            raise ValueError("--steps and --epochs must be positive")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("the validation fraction must be between 0 and 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def write_run_config(run_dir: Path, config: TrainConfig, extra: dict[str, Any]) -> None:
    payload = {"config": config.to_dict(), **extra}
    (run_dir / CONFIG_FILE).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")


def read_run_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a training run (no {CONFIG_FILE})")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data
