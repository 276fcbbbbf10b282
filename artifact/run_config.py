"""A training run's settings, declared once.

``TrainConfig`` is what ``config.json`` holds, what ``--resume`` restores and what a manifest
records (``training.config``). Everything else is derived from its fields and their ``Setting``
metadata, so a new field appears everywhere without another list to keep: the options of
``bardling train`` and ``bardling compare``, the ``bardling train`` line on a model card and the
one a retraining job runs (``argv``), and the options admins may set from chat (``Setting.chat``),
each with one set of limits.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from typing import Any, Literal

DataMode = Literal["char", "word", "line"]
Cell = Literal["rnn", "gru", "lstm"]
VAL_FRACTION = 0.1
SPLIT_SEED = 1234
DEFAULT_STEPS = 2500


@dataclass(frozen=True)
class Setting:
    """What a ``TrainConfig`` field means to people and programs besides its type and default."""

    help: str
    low: float | None = None  # inclusive limits; None: unbounded
    high: float | None = None
    choices: tuple[str, ...] = ()
    chat: str | None = None  # the ``/retrain`` option name, where admins may set it from chat
    fixed: bool = False  # kept for an existing model: it changes what the validation losses measure


def _meta(help: str, **meta: Any) -> dict[str, Setting]:
    return {"setting": Setting(help, **meta)}


@dataclass
class TrainConfig:
    """Everything that determines the trained weights (device and time limits do not).

    The defaults are the shipped Shakespeare model's settings (a CPU-sized GRU).
    """

    corpus: str = field(metadata=_meta("A named corpus (shakespeare, dinos, ...) or a text file."))
    mode: DataMode | None = field(
        default=None,
        metadata=_meta(
            "char | word | line (default: the corpus's kind).",
            choices=("char", "word", "line"),
            chat="mode",
            fixed=True,
        ),
    )
    lowercase: bool | None = field(
        default=None, metadata=_meta("Fold case (default: the corpus's).", fixed=True)
    )
    min_freq: int = field(default=1, metadata=_meta("Rarer symbols become <unk>.", low=1, fixed=True))
    arch: Cell = field(
        default="gru", metadata=_meta("rnn | gru | lstm.", choices=("rnn", "gru", "lstm"), chat="cell")
    )
    layers: int = field(default=1, metadata=_meta("Recurrent layers, 1–8.", low=1, high=8, chat="layers"))
    hidden: int = field(
        default=448, metadata=_meta("Hidden units per layer, 1–4096.", low=1, high=4096, chat="hidden")
    )
    emb: int = field(default=64, metadata=_meta("Embedding size, 1–4096.", low=1, high=4096, chat="emb"))
    dropout: float = field(
        default=0.35, metadata=_meta("Dropout, 0–0.95.", low=0.0, high=0.95, chat="dropout")
    )
    tie_weights: bool = field(
        default=False, metadata=_meta("Share embedding and output (needs emb = hidden).")
    )
    weight_drop: float = field(
        default=0.0,
        metadata=_meta(
            "DropConnect on the hidden-to-hidden matrices (training only), 0–0.95.", low=0.0, high=0.95
        ),
    )
    emb_dropout: float = field(
        default=0.0,
        metadata=_meta(
            "Drop whole symbols from the embedding per batch (training only), 0–0.95.", low=0.0, high=0.95
        ),
    )
    batch: int = field(
        default=64, metadata=_meta("Sequences per step, 1–4096.", low=1, high=4096, chat="batch")
    )
    seq_len: int = field(
        default=128,
        metadata=_meta("TBPTT window (stream corpora), 1–4096.", low=1, high=4096, chat="seq_len"),
    )
    lr: float = field(default=4e-3, metadata=_meta("Peak learning rate, e.g. 0.003.", low=1e-6, chat="lr"))
    min_lr_ratio: float = field(
        default=0.1, metadata=_meta("Final learning rate as a share of the peak.", low=0.0, high=1.0)
    )
    weight_decay: float = field(default=0.1, metadata=_meta("AdamW weight decay.", low=0.0))
    warmup: int = field(default=100, metadata=_meta("Warm-up steps.", low=0))
    clip: float = field(default=1.0, metadata=_meta("Gradient clipping by global norm.", low=0.0))
    steps: int | None = field(
        default=None,
        metadata=_meta(f"Optimizer steps (default {DEFAULT_STEPS}).", low=1, high=1_000_000, chat="steps"),
    )
    epochs: float | None = field(
        default=None,
        metadata=_meta(
            "Passes over the training data, instead of steps.", low=0.01, high=10_000, chat="epochs"
        ),
    )
    eval_every: int | None = field(
        default=None, metadata=_meta("Steps between evaluations (default: about ten a run).", low=1)
    )
    seed: int = field(default=1337, metadata=_meta("Random seed.", low=0, high=2**31 - 1, chat="seed"))
    average_last: int = field(
        default=0,
        metadata=_meta(
            "More than 1: try the mean of the last N evaluated weights up to the best; kept if better.", low=0
        ),
    )
    val_fraction: float = field(
        default=VAL_FRACTION,
        metadata=_meta("Share of the corpus held out for validation.", low=0.0, high=1.0),
    )
    split_seed: int = field(default=SPLIT_SEED, metadata=_meta("Seed of the train/validation split.", low=0))

    def validate(self) -> None:
        """Clear, early errors instead of a crash somewhere inside torch."""
        for f, meta in settings():
            value = getattr(self, f.name)
            if value is not None:
                check(f, meta, value)
        if self.tie_weights and self.emb != self.hidden:
            raise ValueError(f"--tie-weights needs --emb equal to --hidden ({self.emb} ≠ {self.hidden})")
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give --steps or --epochs, not both")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("the validation fraction must be between 0 and 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """The config ``data`` records; fields it lacks (older runs) take their defaults."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def settings() -> list[tuple[Field[Any], Setting]]:
    """Every field but the corpus, with its metadata, in declaration order."""
    return [(f, f.metadata["setting"]) for f in fields(TrainConfig) if f.name != "corpus"]


def types() -> dict[str, Any]:
    """Each field's declared type (``int | None``, a ``Literal``...), resolved."""
    return typing.get_type_hints(TrainConfig)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def default(f: Field[Any]) -> Any:
    return None if f.default is MISSING else f.default


def check(f: Field[Any], meta: Setting, value: Any) -> None:
    """``ValueError`` naming the flag when ``value`` is outside the field's choices or limits."""
    if meta.choices:
        if value not in meta.choices:
            raise ValueError(f"{flag(f.name)} must be one of {' | '.join(meta.choices)}, not {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    low, high = meta.low, meta.high
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            raise ValueError(f"{flag(f.name)} must be at least {low:g}, not {value}")
        raise ValueError(f"{flag(f.name)} must be from {low:g} to {high:g}, not {value}")


def argv(values: Mapping[str, Any]) -> list[str]:
    """``--flag value`` for each setting in ``values`` that is set (the corpus is not a flag); what
    ``bardling train`` reads back into the same config."""
    out: list[str] = []
    for f, _meta in settings():
        value = values.get(f.name)
        if value is None:
            continue
        if isinstance(value, bool):
            out.append(flag(f.name) if value else "--no-" + f.name.replace("_", "-"))
        else:
            out += [flag(f.name), str(value)]
    return out
