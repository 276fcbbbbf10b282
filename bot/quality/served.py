"""Quality of what the bot actually serves: texts drawn through the engine at a model's served
settings (its manifest's sampling defaults and decoding rules), then measured.

Inputs are texts, never corpus loaders, so this stays on the bot's side of the dependency line;
the CLI hands in the corpus text, the name splits and a dictionary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from artifact.lexicon import Lexicon
from artifact.tang_prosody import Prosody
from artifact.verse_form import clauses, is_regulated
from bot.engine.api import GenerationRequest, GenerationResult, Generator
from bot.engine.names import distinct_names
from bot.quality import measures, tang
from bot.quality.measures import CopyFinder, Sample, percent

VERSE_SEEDS = (
    "",
    "Forsooth this maketh",
    "O gentle night,",
    "My lord,",
    "What light is this",
    "The king",
    "Now is the winter",
    "Good morrow,",
    "Alas, ",
    "Come, sweet love",
)
# A fifth with no seed; the rest a word, or the first line of a poem (with or without its mark).
TANG_SEEDS = (
    *("",) * 4,
    *("春风", "明月", "秋", "山", "夜雨", "江南", "白日依山尽，", "床前明月光", "独在异乡为异客，"),
    *("国破山河在，", "孤帆远影碧空尽，", "故人西辞黄鹤楼，", "空山新雨后，", "千山鸟飞绝，"),
    *("红豆生南国，", "月落乌啼霜满天，"),
)
ACROSTICS = (
    *("春夏秋冬", "风花雪月", "山高水长", "一帆风顺", "万事如意", "花好月圆", "天长地久", "心想事成"),
    *("江山如画", "青山绿水", "明月清风", "岁月静好", "福寿安康", "前程似锦", "金玉满堂", "鸟语花香"),
    *("春华秋实", "海阔天空", "风调雨顺", "国泰民安", "诗酒年华", "白云深处", "落日孤城", "长安古道"),
    "千里江山",
)
NAMES_PER_REPLY = 5


@dataclass(frozen=True)
class Corpus:
    """What the measures need to know of the training data."""

    text: str
    train_lines: Sequence[str] = ()
    val_lines: Sequence[str] = ()


async def draw(
    generator: Generator, model: str, count: int, seeds: Sequence[str], **extra: Any
) -> list[GenerationResult]:
    """``count`` texts at the served settings: seed text ``seeds[i % len]`` and RNG seed ``i``."""
    requests = [
        GenerationRequest(model, seed_text=seeds[i % len(seeds)], rng_seed=i, **extra) for i in range(count)
    ]
    return list(await asyncio.gather(*(generator.generate(r) for r in requests)))


def _samples(results: Sequence[GenerationResult]) -> list[Sample]:
    return [Sample(r.text, len(r.text) - len(r.continuation)) for r in results]


async def verse_report(
    generator: Generator, model: str, count: int, corpus: Corpus, dictionary: frozenset[str] | None
) -> dict[str, Any]:
    samples = _samples(await draw(generator, model, count, VERSE_SEEDS))
    vocabulary = Lexicon.from_text(corpus.text).words
    corpus_share, words = measures.real_word_share(samples, vocabulary)
    figures: dict[str, Any] = {"poems": len(samples), "generated words": words}
    if dictionary is not None:
        real, _ = measures.real_word_share(samples, vocabulary | dictionary)
        figures["real words (dictionary + corpus)"] = percent(real)
    figures["words in the corpus vocabulary"] = percent(corpus_share)
    copied = CopyFinder(corpus.text).copied_share(samples)
    figures[f"chars in {measures.COPY_SPAN}+ char copies of the corpus"] = percent(copied)
    ends = sum(measures.ends_at_sentence(s.generated) for s in samples)
    figures["ending at a sentence end"] = percent(ends / len(samples))
    capital, lines = map(sum, zip(*(measures.capitalised_lines(s) for s in samples), strict=True))
    figures["lines starting with a capital"] = percent(capital / lines) if lines else "n/a"
    figures["mean length (chars)"] = round(sum(len(s.generated) for s in samples) / len(samples), 1)
    return figures


async def names_report(generator: Generator, model: str, count: int, corpus: Corpus) -> dict[str, Any]:
    replies = [
        await distinct_names(
            generator, GenerationRequest(model, rng_seed=i * NAMES_PER_REPLY), NAMES_PER_REPLY
        )
        for i in range(max(1, count // NAMES_PER_REPLY))
    ]
    names = [r.text for reply in replies for r in reply]
    shares = measures.name_shares(names, corpus.train_lines, corpus.val_lines)
    return {
        "names": len(names),
        "new": percent(shares.new),
        "in the training list": percent(shares.in_train),
        "in the held-out list": percent(shares.in_val),
        f"length within the training range ({shares.shortest}-{shares.longest})": percent(
            shares.in_length_range
        ),
        "replies with a repeated name": percent(
            sum(len({r.text.casefold() for r in reply}) < len(reply) for reply in replies) / len(replies)
        ),
    }


async def regulated_report(
    generator: Generator,
    model: str,
    count: int,
    *,
    acrostics: bool,
    prosody: Prosody | None = None,
    corpus: str | None = None,
) -> dict[str, Any]:
    """Well-formed share of ``count`` poems; with ``acrostics``, also of ``count // 2`` acrostic
    poems. With the model's ``prosody`` table: rhyme, tone fit and shapes; with the ``corpus``
    text: rare characters and copies."""
    poems = await draw(generator, model, count, TANG_SEEDS, form="regulated")
    figures: dict[str, Any] = {
        "poems": len(poems),
        "well-formed": percent(measures.regulated_share(r.text for r in poems)),
    }
    if prosody is not None:
        figures |= tang.rhyme_figures(_samples(poems), prosody)
    if corpus is not None:
        figures |= tang.CorpusChars(corpus).figures(_samples(poems))
    if corpus is not None and prosody is not None:  # the same measures on the real poems
        real = [Sample(line) for line in corpus.splitlines() if is_regulated(line)]
        figures |= tang.rhyme_figures(real, prosody, "corpus poems: ")
    if not acrostics:
        return figures
    headed = await asyncio.gather(
        *(
            generator.generate(
                GenerationRequest(model, rng_seed=i, acrostic=ACROSTICS[i % len(ACROSTICS)], form="regulated")
            )
            for i in range(max(1, count // 2))
        )
    )
    keeps_heads = [
        is_regulated(r.text) and "".join(c.body[:1] for c in clauses(r.text)) == ACROSTICS[i % len(ACROSTICS)]
        for i, r in enumerate(headed)
    ]
    figures["acrostic poems"] = len(headed)
    figures["acrostic: well-formed, lines start as asked"] = percent(sum(keeps_heads) / len(keeps_heads))
    if prosody is not None:
        figures |= tang.rhyme_figures(_samples(headed), prosody, "acrostic: ")
    return figures
