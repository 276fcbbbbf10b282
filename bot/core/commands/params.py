"""Parameters several commands share, described once."""

from __future__ import annotations

from dataclasses import replace

from artifact.forms import FORMS
from artifact.sampling import MAX_TEMPERATURE, MAX_TOKENS, MIN_TEMPERATURE
from bot.core.i18n import N_
from bot.core.types import ParamSpec

MODEL = ParamSpec("model", "Which model (see /models)", autocomplete_models=True)
ID = ParamSpec("id", "A generation number, as shown under it", type="int", min_value=1)
ID_REQUIRED = replace(ID, required=True)
PAGE = ParamSpec("page", "Page number", type="int", min_value=1)
# The sampler's own limits (``artifact.sampling``), so chat, /help, Discord and the engine agree.
TEMPERATURE = ParamSpec(
    "temperature",
    N_("Boldness, {low:g}–{high:g} (default: the model's)", low=MIN_TEMPERATURE, high=MAX_TEMPERATURE),
    "float",
    min_value=MIN_TEMPERATURE,
    max_value=MAX_TEMPERATURE,
)
LENGTH = ParamSpec(
    "length",
    N_("At most this many tokens, 1–{high}", high=MAX_TOKENS),
    "int",
    min_value=1,
    max_value=MAX_TOKENS,
)
FORM = ParamSpec(
    "form",
    "sonnet, quatrain, couplets, limerick, haiku, free; Chinese: regulated, jueju, lushi",
    choices=tuple(FORMS),
)
