"""What an admin may choose for a retraining run, and how that becomes a ``bardling train`` line.

Both come from the one declaration of a run's settings, ``artifact.run_config.TrainConfig``: the
settings marked for chat become the ``/retrain`` command's options (Discord shows them as
slash-command options; the CLI sends the same ``name:value`` words), with that declaration's
limits. A retrain of an existing model starts from every setting its served version was trained
with (its manifest's ``training.config``; a setting the manifest predates takes its default, which
is what that version was trained with) and the admin's choices replace some of them.
Tokenization (mode, case folding) stays fixed for existing models, or the validation losses the
gate compares would not be in the same units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from artifact import run_config
from artifact.run_config import TrainConfig
from bot.core.errors import UserError


@dataclass(frozen=True)
class Option:
    name: str  # as typed: steps:300
    setting: str  # the ``TrainConfig`` field it sets
    type: str  # "int" | "float" | "str"
    description: str
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[str, ...] = ()
    fixed: bool = False  # only a new model may set it


def _options() -> tuple[Option, ...]:
    hints = run_config.types()
    return tuple(
        Option(
            meta.chat, f.name, _kind(hints[f.name]), meta.help, meta.low, meta.high, meta.choices, meta.fixed
        )
        for f, meta in run_config.settings()
        if meta.chat is not None
    )


def _kind(hint: Any) -> str:
    """``int`` for ``int`` and ``int | None``, ``float`` likewise, else ``str`` (words, choices)."""
    kinds = {hint, *get_args(hint)}
    return "int" if int in kinds else "float" if float in kinds else "str"


# How long to train comes first, so ``/retrain dinos 300`` means 300 steps; the rest in declaration order.
OPTIONS: tuple[Option, ...] = tuple(sorted(_options(), key=lambda o: o.name not in ("steps", "epochs")))
BY_NAME = {o.name: o for o in OPTIONS}


def inherited_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting (not the corpus) of the run a manifest's ``training.config`` records."""
    settings = TrainConfig.from_dict({**config, "corpus": ""}).to_dict()
    settings.pop("corpus")
    return {k: v for k, v in settings.items() if v is not None}


def training_settings(
    inherited: Mapping[str, Any], chosen: Mapping[str, Any], *, new_model: bool
) -> dict[str, Any]:
    """The settings a job trains with: ``inherited`` (a training config), then the admin's ``chosen``.

    ``chosen`` maps option names to already-typed values; refusals are ``UserError``.
    """
    settings = {} if new_model else inherited_settings(inherited)
    picked = {k: v for k, v in chosen.items() if v is not None and v != ""}
    if "steps" in picked and "epochs" in picked:
        raise UserError("Give steps or epochs, not both.")
    for name, value in picked.items():
        option = BY_NAME.get(name)
        if option is None:
            raise UserError(f"Unknown option {name}:… — options: {', '.join(BY_NAME)}.")
        if option.fixed and not new_model:
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
        if high is None:
            raise UserError(f"{option.name} must be at least {low:g}.")
        raise UserError(f"{option.name} must be from {low:g} to {high:g}.")
    return number


def train_argv(corpus: str, settings: Mapping[str, Any], *, threads: int) -> list[str]:
    """``train CORPUS --flag value …`` for ``settings`` (the run dir and data dirs come on top).

    ``threads`` 0 leaves the thread count to the trainer's own default."""
    threading = ["--threads", str(threads)] if threads > 0 else []
    return ["train", corpus, *run_config.argv(settings), *threading, "--quiet"]


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
