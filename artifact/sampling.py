"""Next-token sampling, one implementation for the bot's engine and the trainer's cards and figures.

A text depends only on (model version, seed text, params, seed): ONNX's ``Multinomial`` has a
fixed seed and device-side sampling differs between providers, so sampling happens on the host
with NumPy. Every operation is either elementwise or a per-row sort, maximum, count or sequential
cumulative sum (all float64), so a row's draw does not depend on which other rows share the
batch, and ``sample`` (any number of rows) and ``sample_one`` (one row, fewer NumPy calls) draw
the same id for the same row; a row consumes exactly one uniform number per sampled token.

The parameters' limits live here too, once: the engine checks them, and chat (``/help``, the
Discord option schema) and the command line show them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from artifact.manifest import GenerationDefaults

MIN_TEMPERATURE = 0.1
MAX_TEMPERATURE = 2.0
MAX_TOKENS = 2000


class ParamsError(ValueError):
    """Sampling parameters outside their limits; the message is short and fit to show a user."""


@dataclass(frozen=True)
class SamplingParams:
    """A complete set of sampling parameters (what a generation is stored and replayed with)."""

    temperature: float = 0.8
    top_k: int | None = None  # None: no top-k cut
    top_p: float | None = 0.95  # None: no nucleus cut
    max_tokens: int = 400
    max_lines: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> SamplingParams:
        """The parameters in a stored mapping (other keys, e.g. a generation's count, ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in names})


@dataclass(frozen=True)
class SamplingOverrides:
    """Only what a user set; every None is the model's manifest default (merged by ``resolve_params``)."""

    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_lines: int | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


def defaults_of(defaults: GenerationDefaults) -> SamplingParams:
    """A manifest's sampling defaults as parameters."""
    return SamplingParams(
        temperature=defaults.temperature,
        top_k=defaults.top_k,
        top_p=defaults.top_p,
        max_tokens=defaults.max_tokens,
        max_lines=defaults.max_lines,
    )


def resolve_params(
    params: SamplingParams | SamplingOverrides | None, defaults: GenerationDefaults
) -> SamplingParams:
    """The one merge: complete parameters as given, or the manifest's defaults with the user's
    overrides on top; checked against the limits (``ParamsError``)."""
    if not isinstance(params, SamplingParams):
        chosen = {} if params is None else {k: v for k, v in asdict(params).items() if v is not None}
        params = replace(defaults_of(defaults), **chosen)
    validate_params(params)
    return params


def validate_params(params: SamplingParams) -> None:
    if not MIN_TEMPERATURE <= params.temperature <= MAX_TEMPERATURE:
        raise ParamsError(f"temperature must be from {MIN_TEMPERATURE:g} to {MAX_TEMPERATURE:g}")
    if params.top_k is not None and params.top_k < 1:
        raise ParamsError("top_k must be at least 1")
    if params.top_p is not None and not 0.0 < params.top_p <= 1.0:
        raise ParamsError("top_p must be in (0, 1]")
    if not 1 <= params.max_tokens <= MAX_TOKENS:
        raise ParamsError(f"length must be from 1 to {MAX_TOKENS}")
    if params.max_lines is not None and params.max_lines < 1:
        raise ParamsError("max_lines must be at least 1")


def sample(
    logits: np.ndarray,
    temperature: np.ndarray,
    top_k: np.ndarray | None,
    top_p: np.ndarray | None,
    uniforms: np.ndarray,
    mask: np.ndarray,
) -> np.ndarray:
    """One token id per row of ``logits`` ``[rows, vocab]``; row ``i`` draws what ``sample_one`` does.

    ``temperature``, ``top_k`` (0: off), ``top_p`` (1.0: off) and ``uniforms`` (in [0, 1)) have one
    entry per row; ``top_k``/``top_p`` are None when no row uses them. ``mask`` is float32 over the
    vocabulary (one for all rows, or ``[rows, vocab]``), ``-inf`` for ids not to sample, else 0.
    """
    rows, vocab = logits.shape
    scale = 1.0 / np.asarray(temperature, np.float64)
    p = np.multiply(logits, scale[:, None], dtype=np.float64)
    p += mask
    p -= p.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    k = np.full(rows, vocab) if top_k is None else np.where((top_k > 0) & (top_k < vocab), top_k, vocab)
    truncating = k < vocab if top_p is None else (k < vocab) | (top_p < 1.0)
    row = np.arange(rows)
    if truncating.any():  # a row that cuts nothing keeps keep = vocab: its threshold keeps every id
        ranked = np.sort(p, axis=1)[:, ::-1]
        keep = k
        if top_p is not None:
            mass = np.cumsum(ranked, axis=1)
            cut = top_p * mass[row, k - 1]
            before = (mass[:, :-1] < cut[:, None]) & (np.arange(vocab - 1) < (k - 1)[:, None])
            keep = np.where(top_p < 1.0, 1 + before.sum(axis=1), k)
        p = np.where(p >= ranked[row, keep - 1][:, None], p, 0.0)
    cumulative = np.cumsum(p, axis=1)
    total = cumulative[:, -1:]
    chosen = (cumulative <= uniforms[:, None] * total).sum(axis=1)
    over = chosen == vocab
    if over.any():  # u * total rounded up to total: the id that reaches the total
        chosen = np.where(over, (cumulative < total).sum(axis=1), chosen)
    return chosen


def sample_one(
    logits: np.ndarray, temperature: float, top_k: int, top_p: float, uniform: float, mask: np.ndarray
) -> int:
    """One token id from one row of logits ``[vocab]``, with few NumPy calls (their fixed cost is
    the price at batch 1).

    Probabilities are ``exp((logits / temperature + mask) - max)`` in float64. A row that cuts the
    tail (``top_k`` > 0 below the vocabulary, ``top_p`` < 1) sorts them (descending) and keeps the
    top-k, then of those the smallest head whose mass reaches ``top_p`` of the top-k's: every id
    whose probability reaches the last kept one's (ties are all kept, so only values, never sort
    order, decide). The draw is the inverse CDF over the kept ids in vocabulary order at
    ``uniform`` (float64 cumulative sums, searched rather than scanned).
    """
    p = np.multiply(logits, 1.0 / temperature, dtype=np.float64)
    p += mask
    p -= p.max()
    np.exp(p, out=p)
    vocab = p.shape[0]
    keep = top_k if 0 < top_k < vocab else vocab
    if keep < vocab or top_p < 1.0:
        ranked = np.sort(p)[::-1]
        if top_p < 1.0:
            mass = np.cumsum(ranked)
            keep = 1 + int(np.searchsorted(mass[: keep - 1], top_p * mass[keep - 1]))
        p = np.where(p >= ranked[keep - 1], p, 0.0)
    cumulative = np.cumsum(p)
    total = cumulative[-1]
    chosen = int(np.searchsorted(cumulative, uniform * total, "right"))
    if chosen == vocab:  # u * total rounded up to total: the id that reaches the total
        chosen = int(np.searchsorted(cumulative, total))
    return chosen


def sample_rows(
    logits: np.ndarray, params: SamplingParams, uniforms: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """``sample`` with the same parameters for every row (the trainer's samples and novelty)."""
    rows = len(logits)
    return sample(
        logits,
        np.full(rows, params.temperature),
        None if params.top_k is None else np.full(rows, params.top_k),
        None if params.top_p is None else np.full(rows, params.top_p),
        uniforms,
        mask,
    )


def ban_mask(vocab: int, banned: list[int]) -> np.ndarray:
    """The additive mask ``sample`` takes: ``-inf`` on ``banned`` ids."""
    mask = np.zeros(vocab, np.float32)
    mask[banned] = -np.inf
    return mask
