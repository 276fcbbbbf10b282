"""The engine's view of ``artifact.sampling`` (the one sampler): limits refused as ``InvalidRequestError``.

The batcher and the sequences import the sampler from here or from ``artifact.sampling``; both
name the same functions.
"""

from __future__ import annotations

from artifact.manifest import GenerationDefaults
from artifact.sampling import (
    MAX_TEMPERATURE,
    MAX_TOKENS,
    MIN_TEMPERATURE,
    ParamsError,
    SamplingOverrides,
    SamplingParams,
    ban_mask,
    sample,
    sample_one,
)
from artifact.sampling import resolve_params as _resolve
from artifact.sampling import validate_params as _validate
from bot.engine.api import InvalidRequestError

__all__ = [
    "MAX_TEMPERATURE",
    "MAX_TOKENS",
    "MIN_TEMPERATURE",
    "ban_mask",
    "resolve_params",
    "sample",
    "sample_one",
    "validate_params",
]


def resolve_params(
    params: SamplingParams | SamplingOverrides | None, defaults: GenerationDefaults
) -> SamplingParams:
    """``artifact.sampling.resolve_params``, its refusal as the engine's error."""
    try:
        return _resolve(params, defaults)
    except ParamsError as err:
        raise InvalidRequestError(str(err)) from None


def validate_params(params: SamplingParams) -> None:
    try:
        _validate(params)
    except ParamsError as err:
        raise InvalidRequestError(str(err)) from None
