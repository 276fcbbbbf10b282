"""How the bot should sample from a model unless a user says otherwise, by kind of model."""

from __future__ import annotations

from typing import Literal

from artifact.corpora import CORPORA
from artifact.manifest import GenerationDefaults
from training.data import DataMode

Kind = Literal["verse", "names", "prose"]


def model_kind(mode: DataMode, corpus: str | None = None) -> Kind:
    """By data mode, unless the registered ``corpus`` says what it serves (poems one a line: verse)."""
    spec = CORPORA.get(corpus) if corpus else None
    if spec is not None and spec.serves is not None:
        return spec.serves
    return {"char": "verse", "line": "names", "word": "prose"}[mode]  # type: ignore[return-value]


def generation_defaults(mode: DataMode, longest_line: int = 0) -> GenerationDefaults:
    """Verse reads best a little below temperature 1; line models (names, poems) stop at ``</s>``,
    so their cap is only the longest training line plus its ``</s>``."""
    if mode == "line":
        return GenerationDefaults(temperature=0.8, top_p=0.95, max_tokens=max(longest_line + 2, 8))
    if mode == "word":
        return GenerationDefaults(temperature=0.8, top_p=0.9, max_tokens=60)
    return GenerationDefaults(temperature=0.75, top_p=0.95, max_tokens=400)
