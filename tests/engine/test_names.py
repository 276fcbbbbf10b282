from __future__ import annotations

from pathlib import Path

from bot.engine import Engine
from bot.engine.api import GenerationRequest
from bot.engine.names import display_name, distinct_names
from tests.support.tiny_models import make_tiny_model


async def test_names_are_distinct_capitalised_and_the_same_for_the_same_seed(engine: Engine) -> None:
    request = GenerationRequest("dinos", "", rng_seed=42)
    first = await distinct_names(engine, request, 12)
    again = await distinct_names(engine, request, 12)
    names = [r.text for r in first]
    assert names == [r.text for r in again]
    assert len(names) == 12 and len({n.casefold() for n in names}) == 12
    assert all(n[:1].isupper() for n in names)
    for result in first:  # each name comes back from the seed it reports
        alone = await engine.generate(GenerationRequest("dinos", "", rng_seed=result.rng_seed))
        assert display_name(alone.text) == result.text


async def test_a_model_that_repeats_itself_gives_fewer_names_rather_than_duplicates(tmp_path: Path) -> None:
    make_tiny_model(
        tmp_path / "b" / "names", name="names", mode="line", eos_bias=60.0
    )  # always stops at once
    async with Engine(tmp_path / "b", None, device="cpu", threads=1) as engine:
        results = await distinct_names(engine, GenerationRequest("names", "rex", rng_seed=1), 5)
    assert [r.text for r in results] == ["Rex"]
