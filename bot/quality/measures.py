"""What the quality targets measure, as pure functions of texts (no model, no engine).

Verse: the share of generated word tokens that are real words (in a dictionary or the corpus
vocabulary), the share of generated characters inside spans of ``COPY_SPAN``+ characters copied
verbatim from the training text, and how texts end. Names: the shares that are new, in the
training list or in the held-out list, and whether their lengths stay in the training range.
Regulated verse: the share that keeps the form. Only the generated part of a text counts; the
user's seed is theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from artifact.lexicon import SENTENCE_ENDS, fold, iter_words
from artifact.verse_form import is_regulated

COPY_SPAN = 40


@dataclass(frozen=True)
class Sample:
    """A served text and how many of its leading characters were the user's seed."""

    text: str
    seed_chars: int = 0

    @property
    def generated(self) -> str:
        return self.text[self.seed_chars :]


def generated_words(sample: Sample) -> list[str]:
    """Words that are at least partly generated (a word the seed began counts as generated)."""
    return [m.group() for m in iter_words(sample.text) if m.end() > sample.seed_chars]


def real_word_share(samples: Iterable[Sample], known: set[str] | frozenset[str]) -> tuple[float, int]:
    """(share of generated words whose folded form is in ``known``, number of words)."""
    words = [fold(w) for s in samples for w in generated_words(s)]
    return (sum(w in known for w in words) / len(words) if words else 1.0), len(words)


class CopyFinder:
    """Which characters of a text lie in a span of ``span``+ characters that also occurs in the corpus."""

    def __init__(self, corpus: str, span: int = COPY_SPAN) -> None:
        self.span = span
        self._grams = {corpus[i : i + span] for i in range(len(corpus) - span + 1)}

    def copied(self, text: str) -> int:
        covered = bytearray(len(text))
        for i in range(len(text) - self.span + 1):
            if text[i : i + self.span] in self._grams:
                covered[i : i + self.span] = b"\x01" * self.span
        return sum(covered)

    def copied_share(self, samples: Iterable[Sample]) -> float:
        texts = [s.generated for s in samples]
        total = sum(map(len, texts))
        return sum(map(self.copied, texts)) / total if total else 0.0


def ends_at_sentence(text: str) -> bool:
    return text.rstrip().endswith(tuple(SENTENCE_ENDS))


def capitalised_lines(sample: Sample) -> tuple[int, int]:
    """(generated lines whose first letter is a capital, generated lines with a letter); a line
    the seed began is the seed's."""
    capital = total = 0
    start = 0
    for line in sample.text.split("\n"):
        first = next((c for c in line if c.isalpha()), "")
        if first and start >= sample.seed_chars:
            total += 1
            capital += first.isupper()
        start += len(line) + 1
    return capital, total


@dataclass(frozen=True)
class NameShares:
    new: float
    in_train: float
    in_val: float
    in_length_range: float
    shortest: int
    longest: int


def name_shares(names: Sequence[str], train: Iterable[str], val: Iterable[str]) -> NameShares:
    """Names compared case-folded; the length range is the training list's."""
    train_set = {fold(n) for n in train}
    val_set = {fold(n) for n in val}
    lengths = [len(n) for n in train_set]
    low, high = min(lengths), max(lengths)
    folded = [fold(n) for n in names]
    count = len(folded) or 1
    return NameShares(
        new=sum(n not in train_set and n not in val_set for n in folded) / count,
        in_train=sum(n in train_set for n in folded) / count,
        in_val=sum(n in val_set and n not in train_set for n in folded) / count,
        in_length_range=sum(low <= len(n) <= high for n in folded) / count,
        shortest=low,
        longest=high,
    )


def percent(fraction: float) -> str:
    """A share as the reports print it."""
    return f"{100 * fraction:.1f} %"


def regulated_share(texts: Iterable[str]) -> float:
    values = [is_regulated(t) for t in texts]
    return sum(values) / len(values) if values else 0.0
