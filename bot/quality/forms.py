"""How well served poems keep an English form: rhyme, syllables, metre, clean lines and endings.

Pure functions of texts, sharing the decoder's definitions (``artifact.forms``, ``artifact.prosody``)
so that a figure measures what the form promises, and a dictionary the corpus did not make for
real words. The seed's lines count like any other: a poem is judged as the user reads it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from artifact.forms import Form
from artifact.lexicon import WHOLE_WORD, fold
from artifact.prosody import iambic_fit, in_dictionary, is_function_word, pronounce, rhymes
from bot.engine.api import GenerationRequest, Generator
from bot.quality.measures import CopyFinder, Sample, percent

OVERLAP_SPAN = 40
_HEADER = re.compile(r"^\s*(?:[A-Z][\w']*\s*){1,3}:\s*$|^\s*(?:ACT|SCENE)\b|\b[A-Z]{2,}\b")
_DIRECTION = re.compile(r"^\s*(?:Re-)?[Ee]nter\s+[A-Z]|^\s*(?:Exit|Exeunt|Manet)\b|[\[\]]")
OPENERS = ("O", "Sweet", "My", "The", "Fair", "Alas, my", "Come,", "Now", "Thy", "When")
NOUNS = ("love", "night", "king", "rose", "heart", "sorrow", "crown", "summer", "death", "moon")
SEED_PHRASES = tuple(f"{o} {n}" for o in OPENERS for n in NOUNS)  # 100 seeds nobody tuned on


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def words_of(line: str) -> list[str]:
    return [m.group() for m in WHOLE_WORD.finditer(line)]


def syllables(line: str) -> int:
    return sum(pronounce(w).syllables for w in words_of(line))


def scans_iambic(line: str) -> bool:
    """Every word's primary stresses fall on the line's even syllables (1-based)."""
    position = 0
    for word in words_of(line):
        said = pronounce(word)
        if not iambic_fit(said.stresses, position):
            return False
        position += said.syllables
    return True


def rhyme_pairs(form: Form, lines: Sequence[str]) -> list[tuple[str, str]]:
    """(earlier, later) last words of the lines the scheme says rhyme."""
    last = [fold(words_of(line)[-1]) if words_of(line) else "" for line in lines]
    pairs = []
    for i in range(min(len(lines), len(form.scheme))):
        letter = form.rhyme_letter(i)
        earlier = [j for j in range(i) if form.rhyme_letter(j) == letter]
        if letter is not None and earlier:
            pairs.append((last[earlier[-1]], last[i]))
    return pairs


def is_header_or_direction(line: str) -> bool:
    return bool(_HEADER.search(line) or _DIRECTION.search(line))


def dangles(text: str) -> bool:
    words = words_of(text)
    return not words or is_function_word(words[-1])


# (ending, what the base word ends with instead): regular inflections, archaic ones included
INFLECTIONS: tuple[tuple[str, str], ...] = (
    *(("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", "")),
    *(("ing", ""), ("ing", "e"), ("er", ""), ("est", ""), ("eth", ""), ("eth", "e"), ("st", "")),
)


def is_real(word: str, dictionary: frozenset[str]) -> bool:
    """A word of English by two dictionaries the corpus did not make: Webster's Second
    (``dictionary``; it lists no inflections, so a regular inflection of a word it lists counts:
    gods, loved, maketh) or the CMU Pronouncing Dictionary. Elisions read as their full form:
    dispatch'd as dispatched, 'tis as tis, thou'rt as thou."""
    w = fold(word)
    forms = {w, w.replace("'", ""), w.replace("'d", "ed"), w.partition("'")[0]}
    for form in forms:
        if form in dictionary or in_dictionary(form):
            return True
        for suffix, base in INFLECTIONS:
            if form.endswith(suffix) and len(form) > len(suffix) + 2:
                stem = form[: -len(suffix)] + base
                if stem in dictionary or (stem[-1:] == stem[-2:-1] and stem[:-1] in dictionary):
                    return True
    return False


def overlapping_pairs(texts: Sequence[str], span: int = OVERLAP_SPAN) -> float:
    """Share of pairs of texts that share a run of ``span`` or more characters."""
    grams = [{t[i : i + span] for i in range(len(t) - span + 1)} for t in texts]
    pairs = list(combinations(range(len(texts)), 2))
    return sum(bool(grams[a] & grams[b]) for a, b in pairs) / len(pairs) if pairs else 0.0


@dataclass(frozen=True)
class FormFigures:
    poems: int
    lines_expected: float | None  # None: a form of no fixed length (free)
    rhyme: float | None  # None: an unrhymed form
    syllables: float | None  # None: free verse has no syllable count
    iambic: float | None
    headers: int
    dangling: float
    real_words: float | None
    words: int

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "poems": self.poems,
            "with the form's number of lines": "n/a"
            if self.lines_expected is None
            else percent(self.lines_expected),
            "rhyme pairs that rhyme": "n/a" if self.rhyme is None else percent(self.rhyme),
            "lines at the syllable count": "n/a" if self.syllables is None else percent(self.syllables),
        }
        if self.iambic is not None:
            out["lines in iambic metre"] = percent(self.iambic)
        out["headers or stage directions"] = self.headers
        out["ending on a function word"] = percent(self.dangling)
        if self.real_words is not None:
            out[f"real words (Webster's + CMU), of {self.words}"] = percent(self.real_words)
        return out


def measure(form: Form, texts: Iterable[str], dictionary: frozenset[str] | None) -> FormFigures:
    poems = [lines_of(t) for t in texts]
    pairs = [p for lines in poems for p in rhyme_pairs(form, lines)]
    all_lines = [line for lines in poems for line in lines]
    at_count = [
        fewest <= syllables(line) <= most
        for lines in poems
        for i, line in enumerate(lines if form.any_line is not None else lines[: len(form.syllables)])
        for fewest, most in [form.line_syllables(i)]
    ]
    words = [w for line in all_lines for w in words_of(line)]
    count = len(poems) or 1
    return FormFigures(
        poems=len(poems),
        lines_expected=None
        if form.free
        else sum(len(lines) == len(form.syllables) for lines in poems) / count,
        rhyme=sum(rhymes(a, b) for a, b in pairs) / len(pairs) if pairs else None,
        syllables=sum(at_count) / len(at_count) if at_count else None,
        iambic=sum(map(scans_iambic, all_lines)) / len(all_lines) if form.iambic and all_lines else None,
        headers=sum(map(is_header_or_direction, all_lines)),
        dangling=sum(dangles(t) for t in ("\n".join(lines) for lines in poems)) / count,
        real_words=(sum(is_real(w, dictionary) for w in words) / len(words) if words else 1.0)
        if dictionary is not None
        else None,
        words=len(words),
    )


async def form_report(
    generator: Generator,
    model: str,
    form: Form,
    count: int,
    corpus_text: str,
    dictionary: frozenset[str] | None,
    seeds: Sequence[str] = SEED_PHRASES,
) -> dict[str, Any]:
    """``count`` poems in ``form`` at the served settings (seed ``seeds[i]``, RNG seed ``i``), and
    as many more (at most 100) from as many seeds with one RNG seed for the cross-seed overlap."""
    requests = [
        GenerationRequest(model, seeds[i % len(seeds)], rng_seed=i, form=form.name) for i in range(count)
    ]
    results = await asyncio.gather(*(generator.generate(r) for r in requests))
    figures = measure(form, [r.text for r in results], dictionary).report()
    copies = CopyFinder(corpus_text).copied_share(Sample(r.text, len(r.seed_text)) for r in results)
    figures["chars in 40+ char copies of the corpus"] = percent(copies)
    phrases = SEED_PHRASES[: max(2, min(len(SEED_PHRASES), count))]
    same_luck = await asyncio.gather(
        *(generator.generate(GenerationRequest(model, s, rng_seed=1, form=form.name)) for s in phrases)
    )
    figures["cross-seed pairs sharing 40+ chars (one RNG seed)"] = percent(
        overlapping_pairs([r.continuation for r in same_luck])
    )
    figures["example"] = results[1].text if len(results) > 1 else results[0].text
    return figures
