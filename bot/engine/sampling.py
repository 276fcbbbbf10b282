"""Next-token sampling on the host, so a text depends only on (model version, seed text, params, seed).

ONNX's ``Multinomial`` has a fixed seed and device-side sampling differs between providers, so
the engine samples here from the logits with NumPy. Every operation is either elementwise or a
per-row sort, maximum, count or sequential cumulative sum (float64), so a row's draw does not
depend on which other rows share the batch; each request consumes exactly one uniform number of
its own ``numpy.random.Generator`` per sampled token.
"""

from __future__ import annotations

import numpy as np

from artifact.manifest import GenerationDefaults
from bot.engine.api import InvalidRequestError, SamplingParams

MAX_TOKENS = 2000
MAX_TEMPERATURE = 2.0


def resolve_params(params: SamplingParams | None, defaults: GenerationDefaults) -> SamplingParams:
    """The request's parameters, or the model's manifest defaults, checked."""
    if params is None:
        params = SamplingParams(
            temperature=defaults.temperature,
            top_k=defaults.top_k,
            top_p=defaults.top_p,
            max_tokens=defaults.max_tokens,
            max_lines=defaults.max_lines,
        )
    validate_params(params)
    return params


def validate_params(params: SamplingParams) -> None:
    if not 0.0 < params.temperature <= MAX_TEMPERATURE:
        raise InvalidRequestError(f"temperature must be in (0, {MAX_TEMPERATURE:g}]")
    if params.top_k is not None and params.top_k < 1:
        raise InvalidRequestError("top_k must be at least 1")
    if params.top_p is not None and not 0.0 < params.top_p <= 1.0:
        raise InvalidRequestError("top_p must be in (0, 1]")
    if not 1 <= params.max_tokens <= MAX_TOKENS:
        raise InvalidRequestError(f"length must be between 1 and {MAX_TOKENS}")
    if params.max_lines is not None and params.max_lines < 1:
        raise InvalidRequestError("max_lines must be at least 1")


def sample(
    logits: np.ndarray,
    temperature: np.ndarray,
    top_k: np.ndarray | None,
    top_p: np.ndarray | None,
    uniforms: np.ndarray,
    mask: np.ndarray,
) -> np.ndarray:
    """One token id per row of ``logits`` ``[rows, vocab]``.

    ``temperature`` (float32), ``top_k`` (0: off), ``top_p`` (1.0: off) and ``uniforms`` (in
    [0, 1)) have one entry per row; ``top_k``/``top_p`` are None when no row uses them. ``mask``
    is float32 over the vocabulary, ``-inf`` for ids never to sample (``<s>``, ``<unk>``), else 0.
    Inverse-CDF sampling with the row's uniform number. The exponentials are float32 (NumPy
    vectorises them; float64 ``exp`` is several times slower); the cumulative sums that the draw
    compares against are float64. Few NumPy calls: at batch 1 their fixed cost is the price.
    """
    rows, vocab = logits.shape
    z = logits + mask
    z /= temperature[:, None]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z, out=z)
    if top_k is not None or top_p is not None:
        ranked = np.sort(p, axis=1)[:, ::-1]  # descending
        if top_k is not None:
            keep = np.minimum(np.where(top_k > 0, top_k, vocab), vocab)
        if top_p is not None:
            if top_k is not None:  # the nucleus is taken from the top-k
                ranked = ranked * (np.arange(vocab) < keep[:, None])
            # The smallest head of the ranking whose mass reaches top_p (1.0 keeps every id whose
            # preceding mass is below the total, i.e. all but float64 round-off).
            cumulative = np.cumsum(ranked, axis=1, dtype=np.float64)
            keep = ((cumulative - ranked) < top_p[:, None] * cumulative[:, -1:]).sum(axis=1)
        threshold = ranked[np.arange(rows), keep - 1]
        p = np.where(p >= threshold[:, None], p, np.float32(0.0))
    cdf = np.cumsum(p, axis=1, dtype=np.float64)
    chosen = (cdf <= uniforms[:, None] * cdf[:, -1:]).sum(axis=1)
    if int(chosen.max()) >= vocab:  # u * total rounded up to total: take the last allowed id
        last_allowed = vocab - 1 - np.argmax(p[:, ::-1] > 0.0, axis=1)
        chosen = np.minimum(chosen, last_allowed)
    return chosen


def ban_mask(vocab: int, banned: list[int]) -> np.ndarray:
    """The additive mask ``sample`` takes: ``-inf`` on ``banned`` ids."""
    mask = np.zeros(vocab, np.float32)
    mask[banned] = -np.inf
    return mask
