"""What an admin may choose for a retraining run, and how that becomes a ``bardling train`` line.

One table serves chat (its entries become the ``/retrain`` command's parameters, so Discord shows
them as slash-command options) and the CLI (which sends the same ``name:value`` words). A retrain
of an existing model starts from the settings its served version was trained with; the admin's
choices replace some of them. Tokenization (mode, case folding) stays fixed for existing models,
or the validation losses the gate compares would not be in the same units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.errors import UserError


@dataclass(frozen=True)
class Option:
    name: str  # as typed: steps:300
    setting: str  # the training config key (training.config.TrainConfig)
    type: str  # "int" | "float" | "str"
    description: str
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[str, ...] = ()


OPTIONS: tuple[Option, ...] = (
    Option("steps", "steps", "int", "Optimizer steps", 1, 1_000_000),
    Option("epochs", "epochs", "float", "Passes over the text, instead of steps", 0.01, 10_000),
    Option("cell", "arch", "str", "rnn, gru or lstm", choices=("rnn", "gru", "lstm")),
    Option("layers", "layers", "int", "Recurrent layers, 1–8", 1, 8),
    Option("hidden", "hidden", "int", "Hidden units per layer, 1–4096", 1, 4096),
    Option("emb", "emb", "int", "Embedding size, 1–2048", 1, 2048),
    Option("dropout", "dropout", "float", "Dropout, 0–0.9", 0, 0.9),
    Option("lr", "lr", "float", "Peak learning rate, e.g. 0.003", 1e-6, 1),
    Option("batch", "batch", "int", "Sequences per step, 1–1024", 1, 1024),
    Option("seq_len", "seq_len", "int", "Characters per window (verse), 2–2048", 2, 2048),
    Option("mode", "mode", "str", "char, word or line — new models only", choices=("char", "word", "line")),
    Option("seed", "seed", "int", "Random seed", 0, 2**31 - 1),
)
BY_NAME = {o.name: o for o in OPTIONS}
FIXED_FOR_EXISTING = ("mode",)

# Settings of the served version's training that a retrain keeps unless an option replaces them.
INHERITED = (
    "mode",
    "lowercase",
    "min_freq",
    "arch",
    "layers",
    "hidden",
    "emb",
    "dropout",
    "batch",
    "seq_len",
    "lr",
    "weight_decay",
    "warmup",
    "clip",
    "steps",
    "epochs",
    "seed",
)
FLAGS = {key: "--" + key.replace("_", "-") for key in INHERITED} | {"lowercase": "--lowercase"}


def training_settings(
    inherited: Mapping[str, Any], chosen: Mapping[str, Any], *, new_model: bool
) -> dict[str, Any]:
    """The settings a job trains with: ``inherited`` (a training config), then the admin's ``chosen``.

    ``chosen`` maps option names to already-typed values; refusals are ``UserError``.
    """
    settings = {k: inherited[k] for k in INHERITED if inherited.get(k) is not None}
    picked = {k: v for k, v in chosen.items() if v is not None and v != ""}
    if "steps" in picked and "epochs" in picked:
        raise UserError("Give steps or epochs, not both.")
    for name, value in picked.items():
        option = BY_NAME.get(name)
        if option is None:
            raise UserError(f"Unknown option {name}:… — options: {', '.join(BY_NAME)}.")
        if name in FIXED_FOR_EXISTING and not new_model:
            raise UserError(f"{name} is fixed for an existing model (it changes what the losses measure).")
        settings[option.setting] = _checked(option, value)
    if "steps" in picked:
        settings.pop("epochs", None)
    if "epochs" in picked:
        settings.pop("steps", None)
    return settings


def _checked(option: Option, value: Any) -> Any:
    if option.choices:
        text = str(value).strip().lower()
        if text not in option.choices:
            raise UserError(f"{option.name} must be one of {', '.join(option.choices)}.")
        return text
    try:
        number: float = int(value) if option.type == "int" else float(value)
    except (TypeError, ValueError):
        raise UserError(f"{option.name} must be a number.") from None
    low, high = option.min_value, option.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise UserError(f"{option.name} must be from {low:g} to {high:g}.")
    return number


def train_argv(corpus: str, settings: Mapping[str, Any], *, threads: int) -> list[str]:
    """``train CORPUS --flag value …`` for ``settings`` (the run dir and data dirs come on top).

    ``threads`` 0 leaves the thread count to the trainer's own default."""
    argv = ["train", corpus]
    for key, value in settings.items():
        if key == "lowercase":
            argv.append("--lowercase" if value else "--no-lowercase")
        elif key in FLAGS:
            argv += [FLAGS[key], str(value)]
    return [*argv, *(["--threads", str(threads)] if threads > 0 else []), "--quiet"]


def describe(settings: Mapping[str, Any]) -> str:
    """``GRU 1×512, 300 steps``: the shape and length of a run, for messages."""
    cell = str(settings.get("arch", "gru")).upper()
    hidden = settings.get("hidden")
    shape = f"{cell} {settings.get('layers', 1)}×{hidden}" if hidden else f"{cell} of the default size"
    if settings.get("epochs") is not None:
        return f"{shape}, {settings['epochs']:g} epochs"
    if settings.get("steps") is not None:
        return f"{shape}, {settings['steps']} steps"
    return f"{shape}, the default length"
