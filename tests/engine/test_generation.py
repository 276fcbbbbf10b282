"""What a caller of ``Engine.generate`` / ``Engine.stream`` can rely on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.engine.api import (
    BusyError,
    EngineError,
    GenerationRequest,
    InvalidRequestError,
    SamplingParams,
    UnknownModelError,
)
from tests.support.tiny_models import make_tiny_model

VERSE = "shakespeare"
NAMES = "dinos"


def poem(seed: int, seed_text: str = "Forsooth this maketh", **params: object) -> GenerationRequest:
    return GenerationRequest(VERSE, seed_text, SamplingParams(**params) if params else None, rng_seed=seed)  # type: ignore[arg-type]


async def test_the_same_seed_gives_the_same_text_and_other_seeds_differ(engine: Engine) -> None:
    first = await engine.generate(poem(7))
    again = await engine.generate(poem(7))
    others = {(await engine.generate(poem(seed))).text for seed in range(8, 12)}
    assert again.text == first.text
    assert first.text.startswith("Forsooth this maketh")
    assert first.rng_seed == 7 and first.model == VERSE and first.model_version == "1"
    assert first.text not in others and len(others) == 4


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_a_text_is_identical_alone_and_among_fifty_concurrent_requests(
    bundled: Path, tmp_path: Path, cell: str
) -> None:
    # Bigger than the other tests' models, so ONNX Runtime's GEMM kernels do real blocking.
    make_tiny_model(bundled / "wide", name="wide", hidden=96, embedding=32, cell=cell)  # type: ignore[arg-type]
    # Different seed lengths and lengths make requests join and leave the batch at different steps.
    requests = [
        GenerationRequest(
            "wide" if i % 3 else NAMES,
            ("Forsooth " * (i % 4))[: i % 13] if i % 3 else "ab"[: i % 3],
            SamplingParams(
                temperature=0.5 + (i % 5) / 4,
                top_k=(i % 4) or None,
                top_p=None if i % 2 else 0.9,
                max_tokens=20 + 7 * i,
            ),
            rng_seed=1000 + i,
        )
        for i in range(50)
    ]
    async with Engine(bundled, None, device="cpu", threads=2) as engine:
        together = await asyncio.gather(*(engine.generate(r) for r in requests))
        for request, batched in zip(requests, together, strict=True):
            alone = await engine.generate(request)
            assert alone.text == batched.text


async def test_an_unset_rng_seed_is_drawn_and_reported_so_the_text_can_be_reproduced(engine: Engine) -> None:
    drawn = await engine.generate(GenerationRequest(VERSE, "O"))
    replay = await engine.generate(GenerationRequest(VERSE, "O", rng_seed=drawn.rng_seed))
    assert replay.text == drawn.text


async def test_unknown_characters_are_dropped_and_reported_without_unk(engine: Engine) -> None:
    result = await engine.generate(poem(1, "Forsooth 日本 thee"))
    assert result.dropped == ["日", "本"]
    assert result.text.startswith("Forsooth 日本 thee")  # printed as typed, read without them
    assert result.seen_text == "Forsooth  thee" and result.seed_text == "Forsooth 日本 thee"


async def test_unknown_characters_become_unk_where_the_model_has_it(tmp_path: Path) -> None:
    make_tiny_model(tmp_path / "b" / "verse", name="verse", with_unk=True)
    async with Engine(tmp_path / "b", None, device="cpu", threads=1) as engine:
        result = await engine.generate(GenerationRequest("verse", "O 日 thee", rng_seed=3))
    assert result.dropped == []
    assert result.text.startswith("O 日 thee") and result.seen_text == "O \ufffd thee"
    assert "\ufffd" not in result.continuation  # <unk> primes but is never sampled


async def test_the_end_symbol_stops_a_names_model(tmp_path: Path) -> None:
    make_tiny_model(tmp_path / "b" / "names", name="names", mode="line", eos_bias=60.0)
    async with Engine(tmp_path / "b", None, device="cpu", threads=1) as engine:
        result = await engine.generate(
            GenerationRequest("names", "rex", SamplingParams(max_tokens=2000), rng_seed=4)
        )
    assert (result.text, result.continuation, result.tokens) == ("rex", "", 0)


async def test_names_end_on_their_own_well_before_the_length_limit(engine: Engine) -> None:
    results = await asyncio.gather(
        *(
            engine.generate(GenerationRequest(NAMES, "", SamplingParams(max_tokens=200), rng_seed=s))
            for s in range(20)
        )
    )
    assert all(r.tokens < 200 and r.text.isalpha() for r in results if r.text)


async def test_verse_stops_after_max_lines(tmp_path: Path) -> None:
    make_tiny_model(tmp_path / "b" / "verse", name="verse", vocab="ab \n")
    async with Engine(tmp_path / "b", None, device="cpu", threads=1) as engine:
        results = [
            await engine.generate(
                GenerationRequest(
                    "verse", "a", SamplingParams(max_tokens=2000, max_lines=3, top_p=None), rng_seed=s
                )
            )
            for s in range(5)
        ]
    for result in results:
        assert result.continuation.count("\n") == 2  # the third newline ends the verse, unprinted
        assert result.tokens < 2000


async def test_max_tokens_caps_the_continuation(engine: Engine) -> None:
    result = await engine.generate(poem(2, max_tokens=17, max_lines=None))
    assert result.tokens == 17 and len(result.continuation) == 17


async def test_streamed_pieces_join_into_the_generated_text(engine: Engine) -> None:
    expected = await engine.generate(poem(5))
    stream = engine.stream(poem(5))
    pieces = [piece async for piece in stream]
    assert len(pieces) > 1
    assert "".join(pieces) == expected.continuation
    assert stream.result is not None and stream.result.text == expected.text


async def test_seed_text_longer_than_the_cap_is_refused(bundled: Path) -> None:
    async with Engine(bundled, None, device="cpu", threads=1, max_seed_chars=10) as engine:
        with pytest.raises(InvalidRequestError, match="too long"):
            await engine.generate(poem(1, "x" * 11))
        assert (await engine.generate(poem(1, "x" * 10))).text.startswith("x" * 10)


async def test_unknown_models_and_bad_parameters_are_clear_errors(engine: Engine) -> None:
    with pytest.raises(UnknownModelError, match="unknown model 'nope'"):
        await engine.generate(GenerationRequest("nope", "x"))
    with pytest.raises(InvalidRequestError, match="temperature"):
        await engine.generate(poem(1, temperature=3.0))
    with pytest.raises(InvalidRequestError, match="seed"):
        await engine.generate(GenerationRequest(VERSE, "x", rng_seed=-1))


async def test_overload_answers_busy_instead_of_queueing_without_bound(bundled: Path) -> None:
    async with Engine(bundled, None, device="cpu", threads=1, max_batch=1, max_queue=2) as engine:
        requests = [poem(s, max_tokens=300, max_lines=None) for s in range(10)]
        outcomes = await asyncio.gather(*(engine.generate(r) for r in requests), return_exceptions=True)
    busy = [o for o in outcomes if isinstance(o, BusyError)]
    served = [o for o in outcomes if not isinstance(o, BaseException)]
    assert busy and str(busy[0]) == "busy, try again in a moment"
    assert len(served) >= 2 and len(busy) + len(served) == 10  # at least the queue's worth is served


async def test_a_cancelled_request_leaves_the_batch_and_others_finish(engine: Engine) -> None:
    doomed = asyncio.create_task(engine.generate(poem(1, max_tokens=2000, max_lines=None)))
    await asyncio.sleep(0.01)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert (await engine.generate(poem(2, max_tokens=20))).tokens <= 20


async def test_closing_the_engine_fails_waiting_requests_cleanly(bundled: Path) -> None:
    engine = Engine(bundled, None, device="cpu", threads=1)
    await engine.start()
    pending = asyncio.create_task(engine.generate(poem(1, max_tokens=2000, max_lines=None)))
    await asyncio.sleep(0.01)
    await engine.close()
    with pytest.raises(EngineError, match="shutting down"):
        await pending
