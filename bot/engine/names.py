"""Several distinct names from a line model in one go, deterministically.

Name ``i`` of a reply uses RNG seed ``base + i``. A name that repeats an earlier one (or is
empty) is drawn again with seed ``base + i + count * round``, so the same base seed always gives
the same list, and every name can be reproduced on its own from the seed it reports.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.engine.api import GenerationRequest, GenerationResult, Generator
from bot.engine.seeds import derive_seed, draw_seed

MAX_ROUNDS = 8


def display_name(text: str) -> str:
    name = text.strip()
    return name[:1].upper() + name[1:]


async def distinct_names(
    generator: Generator, request: GenerationRequest, count: int
) -> list[GenerationResult]:
    """Up to ``count`` results with distinct, capitalised names (fewer only if the model keeps repeating)."""
    base = draw_seed() if request.rng_seed is None else request.rng_seed
    if request.version is None:  # pin the version, so a swap mid-reply cannot mix two models
        served = next((m.version for m in generator.models() if m.name == request.model), None)
        request = replace(request, version=served)
    chosen: dict[int, GenerationResult] = {}
    seen: set[str] = set()
    missing = list(range(count))
    for round_no in range(MAX_ROUNDS):
        if not missing:
            break
        results = await asyncio.gather(
            *(
                generator.generate(replace(request, rng_seed=derive_seed(base, i + count * round_no)))
                for i in missing
            )
        )
        still_missing = []
        for i, result in zip(missing, results, strict=True):
            name = display_name(result.text)
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                chosen[i] = replace(result, text=name)
            else:
                still_missing.append(i)
        missing = still_missing
    return [chosen[i] for i in sorted(chosen)]
