"""What counts as a word, and the set of words a verse model may write.

One definition serves three places, so they cannot drift apart: the exporter writes a model's
lexicon (the word types of its training text), the engine's decoder lets a word end only where
the letters so far spell one of them, and the quality report counts real words the same way.
A word is a maximal run of letters; apostrophes and hyphens separate words (``o'er`` is ``o`` +
``er``), which keeps both the lexicon and the check free of tokenisation disputes. Case is
folded: ``ROMEO`` and ``Romeo`` are one word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

LEXICON_FILE = "lexicon.txt"
WORDS_FILE = "words.txt"
WORD = re.compile(r"[^\W\d_]+")
# A whole word keeps its inner apostrophes (o'er, dispatch'd, thou'rt): what verse forms write and
# scan. ``WORD`` stays the unit of the lexicon that generations made before forms were served with.
WHOLE_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
SENTENCE_ENDS = frozenset(".!?")  # what may close a poem (the decoder) and what a closed one ends with


def iter_words(text: str) -> Iterator[re.Match[str]]:
    """Every word of ``text`` with its span."""
    return WORD.finditer(text)


def fold(word: str) -> str:
    return word.casefold()


def is_letter(symbol: str) -> bool:
    return len(symbol) == 1 and WORD.fullmatch(symbol) is not None


@dataclass(frozen=True)
class Lexicon:
    """A closed set of (case-folded) words and all their prefixes."""

    words: frozenset[str]
    prefixes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", frozenset(w[:i] for w in self.words for i in range(len(w) + 1)))

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Lexicon:
        return cls(frozenset(fold(w) for w in words if w))

    @classmethod
    def from_text(cls, text: str, *, whole: bool = False) -> Lexicon:
        """The word types of a corpus (``whole``: keeping inner apostrophes, see ``WHOLE_WORD``)."""
        return cls.from_words(m.group() for m in (WHOLE_WORD if whole else WORD).finditer(text))

    @classmethod
    def read(cls, path: Path) -> Lexicon:
        return cls.from_words(path.read_text(encoding="utf-8").split())

    def write(self, path: Path) -> None:
        path.write_text("".join(f"{w}\n" for w in sorted(self.words)), encoding="utf-8")

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and fold(word) in self.words

    def __len__(self) -> int:
        return len(self.words)

    def can_extend(self, prefix: str) -> bool:
        """True if some word starts with ``prefix`` (already folded)."""
        return prefix in self.prefixes
