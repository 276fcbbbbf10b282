"""How Tang verse sounds: each character's tone class (平/仄) and its 平水韵 (Pingshui) rhyme groups,
and the rules of regulated verse on them, shared by the decoder that keeps them and the measures.

A model's table is data in its directory (``prosody.tsv``, checksummed in the manifest), written at
export from the Pingshui dictionary, so the bot needs no dictionary package at run time. One row a
character: ``char  tone  level-groups  modern-final  source``. ``tone`` is ``平``, ``仄``, ``平仄``
(both readings: fits either) or ``""`` (unknown: fits either); ``level-groups`` are the level-tone
(平声) Pingshui groups it rhymes in, comma-separated; ``source`` is ``pingshui``, or ``modern``
where the dictionary lacks the character and its tone is read from Mandarin (1st/2nd tone 平,
3rd/4th 仄; such a character never stands at a rhyme).

The pattern (二四六分明, 粘对): in line ``i`` (0-based) the 2nd character's tone is the poem's
*key* tone ``k`` when ``i % 4`` is 0 or 3, else its opposite; the 4th is opposite the 2nd and the
6th equal to it. Even lines end on a level rhyme of one group; odd lines after the first end
oblique; the first line may rhyme (首句入韵) or end oblique. The 1st, 3rd and 5th characters are
free (一三五不论), so acrostic heads never conflict with the pattern.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from artifact.verse_form import clauses, is_regulated

PROSODY_FILE = "prosody.tsv"
LEVEL = "平"
OBLIQUE = "仄"
BOTH = LEVEL + OBLIQUE
TONES = (LEVEL, OBLIQUE)


def opposite(tone: str) -> str:
    return OBLIQUE if tone == LEVEL else LEVEL


def fits(tone: str, wanted: str) -> bool:
    """A character of ``tone`` stands where ``wanted`` is asked (both readings or unknown fit anywhere)."""
    return tone in (wanted, BOTH, "")


@dataclass(frozen=True)
class Reading:
    tone: str  # 平, 仄, 平仄 or "" (unknown)
    groups: tuple[str, ...]  # level-tone Pingshui groups
    final: str  # Mandarin final (pinyin without initial or tone), "" unknown
    source: str  # "pingshui" or "modern"


UNKNOWN = Reading("", (), "", "")


class Prosody:
    """Readings by character; a character it lacks is unknown (fits any tone, never rhymes)."""

    def __init__(self, readings: dict[str, Reading]) -> None:
        self.readings = readings

    def __getitem__(self, char: str) -> Reading:
        return self.readings.get(char, UNKNOWN)

    def tone(self, char: str) -> str:
        return self[char].tone

    def groups(self, char: str) -> tuple[str, ...]:
        return self[char].groups

    # ----------------------------------------------------------------- file
    def write(self, path: Path) -> None:
        rows = (
            "\t".join((c, r.tone, ",".join(r.groups), r.final, r.source))
            for c, r in sorted(self.readings.items())
        )
        path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Prosody:
        readings: dict[str, Reading] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            char, tone, groups, final, source = line.split("\t")
            readings[char] = Reading(tone, tuple(g for g in groups.split(",") if g), final, source)
        return cls(readings)


# --------------------------------------------------------------------------- the pattern
def key_tone(line: int, key: str) -> str:
    """The tone of the 2nd character of line ``line`` (0-based) in a poem whose first line's is ``key``."""
    return key if line % 4 in (0, 3) else opposite(key)


def wanted_tone(line: int, position: int, width: int, key: str) -> str | None:
    """The tone the pattern asks at ``position`` (1-based) of ``line``, or None where it is free or
    where the rhyme decides (even lines' and the first line's last character)."""
    if position == width:
        return OBLIQUE if line % 2 == 0 and line > 0 else None
    if position % 2 or position > width:
        return None
    second = key_tone(line, key)
    return second if position in (2, 6) else opposite(second)


def key_from(line: int, position: int, width: int, tone: str) -> str | None:
    """The key tone implied by a character of ``tone`` at ``position`` of ``line`` (None: implies none)."""
    if tone not in TONES or position == width or position % 2:
        return None
    for key in TONES:
        if wanted_tone(line, position, width, key) == tone:
            return key
    return None


# --------------------------------------------------------------------------- measures
@dataclass(frozen=True)
class Scansion:
    """What a regulated poem keeps: its rhyme groups and how its constrained positions fit."""

    shape: str  # "8x5": lines × characters
    rhyme_groups: frozenset[str]  # Pingshui level groups shared by every even line's end (empty: none)
    modern_rhyme: bool  # every even line's end is in one 十三辙 class by its Mandarin final
    fitting: int  # constrained positions (2/4/6, odd lines' ends) whose known tone fits the best key
    judged: int  # constrained positions holding a character of known, single tone


# 十三辙, the thirteen rhyme classes of Mandarin folk verse, by pinyin final (``v`` is ü).
_MODERN_CLASSES = {
    final: number
    for number, finals in enumerate(
        (
            "a ia ua",
            "o e uo",
            "ie ve üe",
            "i v ü er",
            "u",
            "ai uai",
            "ei ui uei",
            "ao iao",
            "ou iu iou",
            "an ian uan van üan",
            "en in un uen vn ün",
            "ang iang uang",
            "eng ing ong iong ueng",
        )
    )
    for final in finals.split()
}


def modern_class(final: str) -> int | None:
    """The 十三辙 class of a Mandarin final (None: unknown), by which modern readers hear a rhyme."""
    return _MODERN_CLASSES.get(final)


def shape_key(lines: int, width: int) -> str:
    """How shapes are named in the manifest and the reports: ``"8x5"``, 8 lines of 5 characters."""
    return f"{lines}x{width}"


def shape_of(text: str) -> str | None:
    """The shape of a regulated poem, else None."""
    if not is_regulated(text):
        return None
    parts = clauses(text.strip())
    return shape_key(len(parts), len(parts[0].body))


def scan(text: str, prosody: Prosody, *, skip: int = 0) -> Scansion | None:
    """How ``text`` (a regulated poem) rhymes and keeps the pattern; None when it is not regulated.

    Tone fit counts only positions at or past character ``skip`` of the text (the user's seed is
    theirs); the key tone is whichever fits more of them.
    """
    shape = shape_of(text)
    if shape is None:
        return None
    lines = [c.body for c in clauses(text.strip())]
    width = len(lines[0])
    ends = [line[-1] for line in lines[1::2]]
    shared = set(prosody.groups(ends[0]))
    for end in ends[1:]:
        shared &= set(prosody.groups(end))
    classes = {modern_class(prosody[end].final) for end in ends}
    best = (0, 0)
    for key in TONES:
        fit = judged = 0
        for line, position, char in _positions(lines, width, skip):
            wanted = wanted_tone(line, position, width, key)
            tone = prosody.tone(char)
            if wanted is not None and tone in TONES:
                judged += 1
                fit += tone == wanted
        best = max(best, (fit, judged))
    return Scansion(shape, frozenset(shared), len(classes) == 1 and None not in classes, *best)


def _positions(lines: list[str], width: int, skip: int) -> Iterator[tuple[int, int, str]]:
    offset = 0
    for line, body in enumerate(lines):
        for position, char in enumerate(body, start=1):
            if offset + position - 1 >= skip:
                yield line, position, char
        offset += width + 1


def shape_shares(poems: Iterable[str]) -> dict[str, float]:
    """Each regulated shape's share of ``poems`` (the others ignored), rounded to 4 places."""
    counts: dict[str, int] = {}
    for poem in poems:
        shape = shape_of(poem)
        if shape is not None:
            counts[shape] = counts.get(shape, 0) + 1
    total = sum(counts.values())
    return {k: round(v / total, 4) for k, v in sorted(counts.items())} if total else {}
