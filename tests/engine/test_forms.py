"""English verse forms, served by the shipped Shakespeare model through the real engine.

One engine serves the whole module from an event loop of its own (building a model's form rules
takes a second), so hypothesis can try many seeds, RNG seeds and forms quickly.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact.forms import ENGLISH_FORMS, FORMS
from artifact.lexicon import WHOLE_WORD
from artifact.prosody import is_function_word, pronounce, rhymes
from bot.engine import Engine
from bot.engine.api import GenerationRequest, GenerationResult, InvalidRequestError, SamplingOverrides
from bot.quality.forms import is_header_or_direction, lines_of, rhyme_pairs, scans_iambic, syllables

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"
T = TypeVar("T")
SHORT_FORMS = ("quatrain", "couplets", "limerick", "haiku")
WORDS = [
    "o",
    "gentle",
    "night",
    "my",
    "lord",
    "the",
    "crown",
    "sits",
    "heavy",
    "on",
    "sweet",
    "rose",
    "forsooth",
    "this",
    "maketh",
    "thou",
    "art",
    "love",
]
# names the shipped model's corpus is full of: a form never writes them (it would, in lower case)
NAMES = {"romeo", "mercutio", "juliet", "warwick", "gloucester", "clarence", "york", "petruchio"}


class LoopThread:
    """An event loop in a thread of its own, with one engine on it."""

    def __init__(self, **engine_options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.engine = Engine(SHIPPED, device="cpu", threads=1, **engine_options)
        self.run(self.engine.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        return self.run(self.engine.generate(request))

    def close(self) -> None:
        self.run(self.engine.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture(scope="module")
def served() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


def check_form(form_name: str, result: GenerationResult) -> None:
    form = FORMS[form_name]
    lines = lines_of(result.text)
    assert len(lines) == len(form.syllables), result.text
    for i, line in enumerate(lines):
        fewest, most = form.syllables[i]
        assert fewest <= syllables(line) <= most, (i, line)
        assert not is_header_or_direction(line), line
        if form.iambic and i > 0:  # the seed's line is the user's
            assert scans_iambic(line), line
    for earlier, later in rhyme_pairs(form, lines):
        assert rhymes(earlier, later), (earlier, later, result.text)
    ends = [WHOLE_WORD.findall(line)[-1].lower() for line in lines]
    for letter in set(form.scheme) - {"-"}:
        group = [ends[i] for i in range(len(lines)) if form.rhyme_letter(i) == letter]
        assert all(a != b for a, b in itertools.pairwise(group)), (group, result.text)  # never itself
    assert result.text.rstrip()[-1] in ".!?", result.text
    assert not is_function_word(WHOLE_WORD.findall(result.text)[-1]), result.text
    assert not {w.lower() for w in WHOLE_WORD.findall(result.continuation)} & NAMES, result.text
    assert not capitals_inside_sentences(result), result.text


def capitals_inside_sentences(result: GenerationResult) -> list[str]:
    """The generated words with a capital where a sentence goes on, other than I (I'll…) and O."""
    found, offset, written_from = [], 0, len(result.text) - len(result.continuation)
    for line in result.text.split("\n"):
        for match in WHOLE_WORD.finditer(line):
            before = line[: match.start()].rstrip()
            word = match.group()
            inside = before and before[-1] not in ".!?" and offset + match.start() >= written_from
            if inside and word[0].isupper() and word not in ("I", "O") and not word.startswith("I'"):
                found.append(word)
        offset += len(line) + 1
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join),
    rng_seed=st.integers(0, 2**32),
    form=st.sampled_from(SHORT_FORMS),
)
def test_every_poem_keeps_its_form(served: LoopThread, seed: str, rng_seed: int, form: str) -> None:
    try:
        result = served.generate(GenerationRequest("shakespeare", seed, rng_seed=rng_seed, form=form))
    except InvalidRequestError:  # only a seed the first line cannot hold is refused
        assert syllables(seed) > FORMS[form].syllables[0][1]
        return
    assert result.text.startswith(seed)
    check_form(form, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.text(max_size=60), rng_seed=st.integers(0, 2**63 - 1), form=st.sampled_from(ENGLISH_FORMS))
def test_any_seed_gets_a_poem_in_form_or_a_clear_refusal(
    served: LoopThread, seed: str, rng_seed: int, form: str
) -> None:
    if form == "sonnet":
        form = "quatrain"  # the same rules, a quarter of the time
    try:
        result = served.generate(GenerationRequest("shakespeare", seed, rng_seed=rng_seed, form=form))
    except InvalidRequestError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert result.text.startswith(seed)
    if form != "free" and "\n" not in seed:
        lines = lines_of(result.text)
        assert len(lines) == len(FORMS[form].syllables)
        assert result.text.rstrip()[-1] in ".!?"


@pytest.mark.parametrize("rng_seed", [1, 2])
def test_a_sonnet_is_fourteen_rhymed_lines_of_iambic_pentameter(served: LoopThread, rng_seed: int) -> None:
    request = GenerationRequest("shakespeare", "Forsooth this maketh", rng_seed=rng_seed, form="sonnet")
    check_form("sonnet", served.generate(request))


def test_the_same_poem_alone_batched_and_streamed(served: LoopThread) -> None:
    request = GenerationRequest("shakespeare", "O gentle night", rng_seed=7, form="quatrain")
    alone = served.generate(request)

    async def among_others() -> list[GenerationResult]:
        others = [
            GenerationRequest("shakespeare", f"My lord {i}", rng_seed=i, form="sonnet") for i in range(6)
        ]
        return await asyncio.gather(*(served.engine.generate(r) for r in [*others, request]))

    async def streamed() -> str:
        return "".join([piece async for piece in served.engine.stream(request)])

    assert served.run(among_others())[-1].text == alone.text
    assert request.seed_text + served.run(streamed()) == alone.text


def test_different_seeds_do_not_share_a_poem(served: LoopThread) -> None:
    texts = [
        served.generate(GenerationRequest("shakespeare", s, rng_seed=5, form="quatrain")).continuation
        for s in ("O night", "O rose", "My lord", "Sweet love")
    ]
    grams = [{t[i : i + 40] for i in range(len(t) - 39)} for t in texts]
    assert all(not (grams[a] & grams[b]) for a in range(4) for b in range(a + 1, 4))


def test_the_users_words_are_kept_whole(served: LoopThread) -> None:
    for rng_seed in range(4):
        result = served.generate(
            GenerationRequest("shakespeare", "The crown sits heavy on", rng_seed=rng_seed, form="quatrain")
        )
        # "on" is a word: not extended ("one"), and no mark glued to a function word ("on;")
        assert result.continuation.startswith(" "), result.text
    emoji = served.generate(GenerationRequest("shakespeare", "🌹 O rose", rng_seed=3, form="haiku"))
    assert emoji.text.startswith("🌹 O rose") and emoji.dropped == ["🌹"]
    for seed in ("Sweet Romeo, my Rose", "Farewell, Mercutio", "I think I'll"):  # names the form won't write
        for rng_seed in range(2):
            request = GenerationRequest("shakespeare", seed, rng_seed=rng_seed, form="quatrain")
            result = served.generate(request)
            assert result.text.startswith(seed)
            check_form("quatrain", result)


@pytest.mark.parametrize(
    "seed",
    [
        "Romeo, Romeo, wherefore art thou Romeo?",  # 13 syllables: over the form's habit, not refused
        "Two households, both alike in dignity, in fair Verona, where we lay our",
        "one\ntwo\nthree\nfour\nfive\nsix",  # more lines than the length asked for
    ],
)
def test_free_verse_takes_any_seed_as_typed(served: LoopThread, seed: str) -> None:
    params = SamplingOverrides(max_tokens=100)
    result = served.generate(GenerationRequest("shakespeare", seed, params=params, rng_seed=3, form="free"))
    assert result.text.startswith(seed) and len(lines_of(result.text)) > seed.count("\n")
    assert result.text.rstrip()[-1] in ".!?" and not is_function_word(WHOLE_WORD.findall(result.text)[-1])


@pytest.mark.parametrize(
    ("model", "seed", "form", "message"),
    [
        ("shakespeare", "An old silent pond and a frog", "haiku", "haiku has at most 5 syllables"),
        ("shakespeare", "one\ntwo\nthree\nfour\nfive", "quatrain", "lines"),
        ("shakespeare", " ".join(["and"] * 12), "sonnet", "at most 11 syllables"),
        ("tang", "", "sonnet", "cannot write a sonnet"),
        ("dinos", "", "limerick", "cannot write a limerick"),
    ],
)
def test_what_a_form_cannot_take_is_refused_clearly(
    served: LoopThread, model: str, seed: str, form: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        served.generate(GenerationRequest(model, seed, rng_seed=1, form=form))


def test_words_the_dictionary_lacks_get_a_documented_reading() -> None:
    assert pronounce("dispatch'd").syllables == 2
    assert pronounce("maketh").syllables == 2 and pronounce("maketh").rhyme.endswith("TH")
    assert pronounce("thou'rt").syllables == 1 and not pronounce("thou'rt").rhyme
    assert pronounce("Forsooth").syllables == 2 and not pronounce("Forsooth").known
    assert not rhymes("love", "love") and rhymes("love", "above") and not rhymes("whither", "wither")
