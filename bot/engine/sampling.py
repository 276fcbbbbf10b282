"""The engine's view of the one sampler, ``artifact.sampling``: its functions, and its refusals as
the engine's ``InvalidRequestError``."""

from __future__ import annotations

from artifact.manifest import GenerationDefaults
from artifact.sampling import ParamsError, SamplingOverrides, SamplingParams, ban_mask, sample, sample_one
from artifact.sampling import resolve_params as _resolve
from bot.engine.api import InvalidRequestError

__all__ = ["ban_mask", "resolve_params", "sample", "sample_one"]


def resolve_params(
    params: SamplingParams | SamplingOverrides | None, defaults: GenerationDefaults
) -> SamplingParams:
    """The request's parameters merged with the model's defaults and checked (``artifact.sampling``)."""
    try:
        return _resolve(params, defaults)
    except ParamsError as err:
        raise InvalidRequestError(str(err)) from None
