"""The manifest's decoding rules, as a caller of the engine sees them: words from the lexicon,
capitals at line starts, endings at a sentence end, and Chinese regulated verse with acrostics."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact.lexicon import LEXICON_FILE, iter_words
from artifact.manifest import Decoding, GenerationDefaults
from artifact.verse_form import clauses, is_regulated
from bot.engine import Engine
from bot.engine.api import GenerationRequest, InvalidRequestError, ModelUnavailableError, SamplingParams
from bot.engine.constraints import OVERRUN
from tests.support.tiny_models import make_tiny_model, make_tiny_tang_model

WORDS = ["the", "thee", "then", "thou", "art", "a", "love", "lovely", "night", "o", "king", "kings", "I"]
RULES = Decoding(sentence_end=True, line_capitals=True)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    bundled = tmp_path / "bundled"
    make_tiny_model(
        bundled / "verse",
        name="verse",
        generation=GenerationDefaults(temperature=1.0, top_p=None, max_tokens=120),
        decoding=RULES,
        lexicon=WORDS,
    )
    make_tiny_model(
        bundled / "free", name="free", generation=GenerationDefaults(temperature=1.0, max_tokens=120)
    )
    make_tiny_tang_model(bundled / "tang")
    served = Engine(bundled, device="cpu", threads=1)
    await served.start()
    yield served
    await served.close()


def generated_words(seed_text: str, text: str) -> list[str]:
    return [m.group().casefold() for m in iter_words(text) if m.end() > len(seed_text)]


async def test_every_word_the_model_writes_is_in_its_lexicon(engine: Engine) -> None:
    results = await asyncio.gather(
        *(engine.generate(GenerationRequest("verse", "O ", rng_seed=i)) for i in range(30))
    )
    words = [w for r in results for w in generated_words("O ", r.text)]
    assert len(words) > 100
    assert set(words) <= {w.casefold() for w in WORDS}
    free = await asyncio.gather(
        *(engine.generate(GenerationRequest("free", "O ", rng_seed=i)) for i in range(5))
    )
    assert not {w for r in free for w in generated_words("O ", r.text)} <= {w.casefold() for w in WORDS}


async def test_a_seed_word_outside_the_lexicon_is_kept_and_ended(engine: Engine) -> None:
    result = await engine.generate(GenerationRequest("verse", "Forsooth", rng_seed=3))
    assert result.text.startswith("Forsooth")
    assert not result.continuation[:1].isalpha()  # the unknown word is the user's; it ends there


async def test_texts_end_at_a_sentence_end_near_the_length_asked_for(engine: Engine) -> None:
    for seed in range(20):
        params = SamplingParams(temperature=1.0, top_p=None, max_tokens=60)
        result = await engine.generate(GenerationRequest("verse", "", params, rng_seed=seed))
        assert result.continuation.rstrip()[-1] in ".!?", result.continuation
        assert 60 - 15 <= len(result.continuation) <= 60 + OVERRUN
        assert "\n" not in result.continuation[60:]  # past the length, the line's sentence closes


async def test_lines_start_with_a_capital(engine: Engine) -> None:
    results = await asyncio.gather(
        *(engine.generate(GenerationRequest("verse", "", rng_seed=i)) for i in range(20))
    )
    firsts = [m.group()[0] for r in results for m in re.finditer(r"(?m)^[^\W\d_]", r.continuation)]
    assert firsts and all(c.isupper() for c in firsts)


async def test_rules_keep_texts_independent_of_the_batch(engine: Engine) -> None:
    alone = [(await engine.generate(GenerationRequest("verse", "The ", rng_seed=i))).text for i in range(6)]
    mixed = await asyncio.gather(
        *(engine.generate(GenerationRequest("verse", "The ", rng_seed=i)) for i in range(6)),
        *(engine.generate(GenerationRequest("free", "The ", rng_seed=i)) for i in range(6)),
        *(engine.generate(GenerationRequest("tang", "", rng_seed=i)) for i in range(6)),
    )
    assert [r.text for r in mixed[:6]] == alone


async def test_streamed_text_equals_the_generated_one_under_rules(engine: Engine) -> None:
    request = GenerationRequest("verse", "The ", rng_seed=11)
    stream = engine.stream(request)
    pieces = [piece async for piece in stream]
    assert stream.result is not None
    assert "".join(pieces) == stream.result.continuation == (await engine.generate(request)).continuation


async def test_a_tampered_lexicon_refuses_the_model(tmp_path: Path) -> None:
    bundled = tmp_path / "bundled"
    path = make_tiny_model(bundled / "verse", name="verse", decoding=RULES, lexicon=WORDS)
    (path / LEXICON_FILE).write_text("zebra\n", encoding="utf-8")
    async with Engine(bundled, device="cpu", threads=1) as engine:
        with pytest.raises(ModelUnavailableError, match="lexicon"):
            await engine.generate(GenerationRequest("verse", rng_seed=1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), temperature=st.floats(0.3, 2.0))
async def test_tang_poems_keep_the_regulated_form(engine: Engine, seed: int, temperature: float) -> None:
    params = SamplingParams(temperature=temperature, top_p=None, max_tokens=66)
    result = await engine.generate(GenerationRequest("tang", "", params, rng_seed=seed))
    assert is_regulated(result.text), result.text


async def test_a_tang_seed_is_continued_in_its_metre(engine: Engine) -> None:
    for seed in range(10):
        result = await engine.generate(GenerationRequest("tang", "白日依山尽，", rng_seed=seed))
        assert result.text.startswith("白日依山尽，") and is_regulated(result.text)
        assert {len(chars) for chars, _ in clauses(result.text)} == {5}


@pytest.mark.parametrize("acrostic", ["春夏秋冬", "风花雪月山高水长"])
async def test_an_acrostic_starts_each_line_with_its_character(engine: Engine, acrostic: str) -> None:
    for seed in range(5):
        result = await engine.generate(GenerationRequest("tang", "", rng_seed=seed, acrostic=acrostic))
        assert is_regulated(result.text)
        assert "".join(chars[0] for chars, _ in clauses(result.text)) == acrostic


@pytest.mark.parametrize(
    ("model", "seed_text", "acrostic", "message"),
    [
        ("tang", "", "春夏秋", "4 or 8 characters"),
        ("tang", "", "春夏秋龍", "cannot write 龍"),
        ("tang", "春风明月山高水长", "", "does not scan"),
        ("tang", "春", "春夏秋冬", "leave the seed out"),
        ("verse", "", "春夏秋冬", "Chinese verse model"),
        ("free", "", "春夏秋冬", "Chinese verse model"),
    ],
)
async def test_requests_that_cannot_follow_the_rules_get_a_short_reason(
    engine: Engine, model: str, seed_text: str, acrostic: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        await engine.generate(GenerationRequest(model, seed_text, rng_seed=1, acrostic=acrostic or None))
