"""What the rest of the bot may know about the engine: requests, results, errors, the protocol.

The command core depends on this module only, never on ONNX Runtime details, so it can be
tested and reasoned about apart from how generation is executed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from artifact.sampling import SamplingOverrides, SamplingParams


class EngineError(Exception):
    """Base class; ``str(err)`` is a short message fit to show a user."""


class UnknownModelError(EngineError):
    pass


class ModelUnavailableError(EngineError):
    """The model exists but cannot be served (tampered, broken, failed to load)."""


class BusyError(EngineError):
    """The generation queue is full: the caller should try again shortly."""


class InvalidRequestError(EngineError):
    pass


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that determines a text: (model version, seed text, params, rng seed)."""

    model: str
    seed_text: str = ""
    # complete parameters (a replay), or only what the user set: merged with the manifest's defaults
    params: SamplingParams | SamplingOverrides | None = None
    rng_seed: int | None = None  # None: the engine draws one and reports it
    version: str | None = None  # None: the active version
    acrostic: str | None = None  # characters that start the lines, in order (regulated-verse models)
    form: str | None = None  # a verse form from ``artifact.forms`` the text must keep; None: free verse
    chars: int | None = None  # characters per clause of Chinese regulated verse (5 or 7); None: free


@dataclass(frozen=True)
class GenerationResult:
    text: str  # seed text (as the user typed it; a name's prefix as the model read it) + continuation
    continuation: str
    model: str
    model_version: str
    seed_text: str
    rng_seed: int
    params: SamplingParams
    dropped: list[str] = field(default_factory=list)  # seed symbols outside the vocabulary
    tokens: int = 0
    latency_s: float = 0.0
    seen_text: str | None = None  # the seed as the model read it (None: as typed)
    score: float | None = None  # a form poem's mean log-probability per generated token (nats)

    @property
    def as_seen(self) -> str:
        """The text as it was shown before seeds were printed as typed (what older rows stored)."""
        return (self.seed_text if self.seen_text is None else self.seen_text) + self.continuation


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    kind: str  # "verse" | "names" | "prose"
    description: str
    metrics: dict[str, Any]
    previous_versions: list[str] = field(default_factory=list)
    previous_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # by version, for /models
    provider: str | None = None  # execution provider actually in use, once loaded
    defaults: SamplingParams | None = None  # the manifest's sampling settings; user overrides start here
    form: str | None = None  # a verse form the decoder keeps ("regulated": Tang verse, takes acrostics)
    forms: tuple[str, ...] = ()  # the ``artifact.forms`` names a request may ask of this model
    default_form: str | None = None  # what /poem asks for when the user names no form
    symbols: frozenset[str] = frozenset()  # the single characters it can read and write

    def coverage(self, text: str) -> float:
        """Share of ``text``'s non-space characters this model knows (1.0 for an empty text)."""
        chars = [c for c in text if not c.isspace()]
        return sum(c in self.symbols for c in chars) / len(chars) if chars else 1.0


@dataclass(frozen=True)
class BatchStats:
    """One loaded model version's batcher, for metrics."""

    model: str
    version: str
    queued: int  # requests waiting to join the batch
    batch: int  # sequences in the step running now (or the last one)
    steps: int  # model steps run since the version was loaded


class Generator(Protocol):
    """The engine as the command core sees it."""

    async def generate(self, request: GenerationRequest) -> GenerationResult: ...

    def stream(self, request: GenerationRequest) -> AsyncIterator[str]: ...

    def models(self) -> list[ModelInfo]: ...

    def unavailable(self) -> dict[str, str]:
        """Installed models that cannot serve now (absent from ``models()``), each with the reason."""
        ...
