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
from artifact.verse_form import clauses, is_regulated
from bot.engine.api import GenerationRequest, GenerationResult, Generator
from bot.engine.names import distinct_names
from bot.quality import measures
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
TANG_SEEDS = ("", "", "", "", "春风", "明月", "白日依山尽，", "秋")
ACROSTICS = ("春夏秋冬", "风花雪月", "山高水长", "一帆风顺")
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
    generator: Generator, model: str, count: int, *, acrostics: bool
) -> dict[str, Any]:
    """Well-formed share of ``count`` poems; with ``acrostics``, also of ``count`` acrostic poems."""
    poems = await draw(generator, model, count, TANG_SEEDS)
    figures: dict[str, Any] = {
        "poems": len(poems),
        "well-formed": percent(measures.regulated_share(r.text for r in poems)),
    }
    if not acrostics:
        return figures
    headed = await asyncio.gather(
        *(
            generator.generate(GenerationRequest(model, rng_seed=i, acrostic=ACROSTICS[i % len(ACROSTICS)]))
            for i in range(count)
        )
    )
    keeps_heads = [
        is_regulated(r.text) and "".join(c.body[:1] for c in clauses(r.text)) == ACROSTICS[i % len(ACROSTICS)]
        for i, r in enumerate(headed)
    ]
    figures["acrostic poems"] = len(headed)
    figures["acrostic: well-formed, lines start as asked"] = percent(sum(keeps_heads) / len(keeps_heads))
    return figures
