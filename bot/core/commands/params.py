"""Parameters several commands share, described once."""

from __future__ import annotations

from dataclasses import replace

from bot.core.types import ParamSpec

MODEL = ParamSpec("model", "Which model (see /models)", autocomplete_models=True)
ID = ParamSpec("id", "A generation number, as shown under it", type="int", min_value=1)
ID_REQUIRED = replace(ID, required=True)
PAGE = ParamSpec("page", "Page number", type="int", min_value=1)
