"""Tang poems from the shipped model: shapes, rhyme, tonal pattern, seeds of any length and
characters, acrostics, refusals and reproducibility, as a caller of the engine sees them."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact.manifest import Manifest
from artifact.tang_prosody import LEVEL, OBLIQUE, Prosody, scan, shape_key
from artifact.verse_form import clauses
from bot.engine import Engine
from bot.engine.api import GenerationRequest, InvalidRequestError, ModelUnavailableError
from bot.engine.regulated import RegulatedVerseRules

TANG = Path(__file__).resolve().parents[2] / "exported_models" / "tang"
MANIFEST = Manifest.read(TANG)
PROSODY = Prosody.read(TANG / "prosody.tsv")
VOCAB = [c for c in MANIFEST.build_tokenizer().vocab if PROSODY.tone(c) in (LEVEL, OBLIQUE)]
OOV = "韭龍𠀋"  # ideographs the model cannot write (韭 is Du Fu's; the table knows it)
HYPOTHESIS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ideograph = st.sampled_from(VOCAB + list(OOV))
shapes = st.sampled_from([(None, None), ("jueju", None), ("lushi", None), (None, 5), (None, 7), ("jueju", 7)])


@pytest.fixture(scope="module")
def rules() -> RegulatedVerseRules:
    return RegulatedVerseRules(MANIFEST.build_tokenizer(), PROSODY, MANIFEST.decoding.shapes)


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    async with Engine(TANG.parent, device="cpu", threads=1) as served:
        yield served


def poem_of(request: GenerationRequest, continuation: str) -> str:
    return request.seed_text + continuation


def assert_rhymed_and_in_pattern(text: str, seed_chars: int, lines: int | None, width: int | None) -> None:
    scansion = scan(text, PROSODY, skip=seed_chars)
    assert scansion is not None, text
    got_lines, got_width = map(int, scansion.shape.split("x"))
    assert lines in (None, got_lines) and width in (None, got_width), text
    even_ends_generated = seed_chars <= got_width  # the seed is at most the first line
    if even_ends_generated:
        assert scansion.rhyme_groups, text
    assert scansion.fitting == scansion.judged, text


@HYPOTHESIS
@given(
    seed=st.lists(ideograph, max_size=7).map("".join),
    mark=st.booleans(),
    rng_seed=st.integers(0, 2**63 - 1),
    shape=shapes,
)
async def test_any_seed_rhymes_and_keeps_the_pattern(
    engine: Engine, seed: str, mark: bool, rng_seed: int, shape: tuple[str | None, int | None]
) -> None:
    form, chars = shape
    if mark and len(seed) in (5, 7):
        seed += "，"
    request = GenerationRequest("tang", seed, rng_seed=rng_seed, form=form or "regulated", chars=chars)
    size = len(
        seed.rstrip("，")
    )  # a closed clause fixes the width; an open one of 6-7, or of 5 unless 7 asked
    width = size if seed.endswith("，") else {6: 7, 7: 7}.get(size, 5 if size == 5 and chars != 7 else None)
    if chars is not None and width is not None and width != chars:
        with pytest.raises(InvalidRequestError, match="characters, not"):
            await engine.generate(request)
        return
    result = await engine.generate(request)
    lines = {"jueju": 4, "lushi": 8}.get(form or "")
    assert_rhymed_and_in_pattern(poem_of(request, result.continuation), len(seed), lines, width or chars)


@HYPOTHESIS
@given(
    heads=st.lists(st.sampled_from(VOCAB), min_size=4, max_size=4)
    | st.lists(st.sampled_from(VOCAB), min_size=8, max_size=8),
    rng_seed=st.integers(0, 2**32),
)
async def test_acrostics_keep_their_heads_rhyme_and_pattern(
    engine: Engine, heads: list[str], rng_seed: int
) -> None:
    acrostic = "".join(heads)
    result = await engine.generate(
        GenerationRequest("tang", rng_seed=rng_seed, acrostic=acrostic, form="regulated")
    )
    assert "".join(c.body[0] for c in clauses(result.text)) == acrostic
    assert_rhymed_and_in_pattern(result.text, 0, len(acrostic), None)


async def test_an_out_of_vocabulary_seed_character_counts_toward_its_clause(engine: Engine) -> None:
    for rng_seed in range(4):
        request = GenerationRequest("tang", "夜雨剪春韭", rng_seed=rng_seed, form="regulated")
        result = await engine.generate(request)
        assert result.continuation.startswith("，")
        assert result.text == "夜雨剪春韭" + result.continuation  # printed as typed, not as <unk>
        assert scan(poem_of(request, result.continuation), PROSODY, skip=5) is not None


@pytest.mark.parametrize(("chars", "first"), [(None, "，"), (7, None)])
async def test_a_complete_five_character_clause_is_not_extended(
    engine: Engine, chars: int | None, first: str | None
) -> None:
    for rng_seed in range(6):
        request = GenerationRequest("tang", "床前明月光", rng_seed=rng_seed, chars=chars, form="regulated")
        continuation = (await engine.generate(request)).continuation
        if first:
            assert continuation.startswith(first)
        else:
            assert len(clauses(poem_of(request, continuation))[0].body) == 7


def test_default_shapes_follow_the_corpus_and_requests_fix_them(rules: RegulatedVerseRules) -> None:
    drawn = Counter(
        shape_key(c.lines, c.width)
        for c in (
            rules.start([], GenerationRequest("tang", rng_seed=i, form="regulated")) for i in range(2000)
        )
    )
    shares = MANIFEST.decoding.shapes or {}
    assert max(shares, key=lambda k: shares[k]) == "8x5"
    for shape, share in shares.items():
        assert abs(drawn[shape] / 2000 - share) < 0.04, (shape, drawn)
    for i in range(50):
        asked = rules.start([], GenerationRequest("tang", rng_seed=i, form="jueju", chars=7))
        assert (asked.lines, asked.width) == (4, 7)
        assert rules.start([], GenerationRequest("tang", "白日依山尽，", rng_seed=i, form="lushi")).width == 5
        assert (
            rules.start(
                [], GenerationRequest("tang", rng_seed=i, acrostic="春夏秋冬", form="regulated")
            ).lines
            == 4
        )


LONG = "白日依山尽，黄河入海流。" * 5


@pytest.mark.parametrize(
    ("seed", "acrostic", "form", "chars", "message"),
    [
        (LONG, None, None, None, "the seed has 10 lines; this poem has at most 8"),
        (LONG[:36], None, "jueju", None, "the seed has 6 lines; this poem has at most 4"),
        ("白日依山尽，黄河入海流。欲穷千里目，", None, None, 7, "have 5 characters, not 7"),
        ("白日abc依山", None, None, None, "not abc"),
        ("白日依山尽， 黄河入海流。", None, None, None, "without spaces"),
        ("白日依山尽。", None, None, None, "does not scan"),
        ("白日依山尽，黄河入海流入。", None, None, None, "does not scan"),
        ("床前明月光疑是地上霜", None, None, None, "does not scan .* perhaps 床前明月光，疑是地上霜。$"),
        ("", "春夏秋韭", None, None, "cannot write 韭"),
        ("", "春夏秋a", None, None, "cannot write a"),
        ("", "春夏秋冬山高水长", "jueju", None, "8 characters makes a poem of 8 lines"),
        ("", None, "sonnet", None, "cannot write a sonnet"),
        ("", None, None, 6, "5 or 7 characters"),
    ],
)
async def test_seeds_and_acrostics_the_form_cannot_take_are_refused_clearly(
    engine: Engine, seed: str, acrostic: str | None, form: str | None, chars: int | None, message: str
) -> None:
    request = GenerationRequest(
        "tang", seed, rng_seed=1, acrostic=acrostic, form=form or "regulated", chars=chars
    )
    with pytest.raises(InvalidRequestError, match=message):
        await engine.generate(request)


async def test_poems_are_the_same_alone_batched_and_streamed(engine: Engine) -> None:
    requests = [
        GenerationRequest("tang", seed, rng_seed=rng_seed, acrostic=acrostic, form=form or "regulated")
        for rng_seed, (seed, acrostic, form) in enumerate(
            [("", None, None), ("夜雨剪春韭", None, None), ("", "春夏秋冬", None), ("明月", None, "lushi")]
            * 2
        )
    ]
    alone = [(await engine.generate(r)).continuation for r in requests]
    batched = [r.continuation for r in await asyncio.gather(*(engine.generate(r) for r in requests))]
    streamed = ["".join([piece async for piece in engine.stream(r)]) for r in requests[:4]]
    assert alone == batched
    assert streamed == alone[:4]


async def test_a_tampered_prosody_table_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "models" / "tang"
    shutil.copytree(TANG, copy)
    with (copy / "prosody.tsv").open("a", encoding="utf-8") as table:
        table.write("韭\t平\t下平十一尤\tiu\tpingshui\n")
    async with Engine(copy.parent, device="cpu", threads=1) as served:
        with pytest.raises(ModelUnavailableError, match=r"prosody\.tsv"):
            await served.generate(GenerationRequest("tang", rng_seed=1, form="regulated"))
