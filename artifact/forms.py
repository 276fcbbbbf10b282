"""The verse forms a poem can be asked for, declared once for the decoder, the core and the measures.

A form names its lines: how many syllables each may have, which lines rhyme together (a letter of
the scheme), and whether the line is iambic. English forms are kept by ``bot.engine`` with
per-word masks and line-level candidates; Chinese forms (``script == "han"``) by the regulated
verse rules. ``free`` is the model's own line breaks, as before forms existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Script = Literal["latin", "han"]
LINE_CANDIDATES = 2  # K: candidate lines sampled per line that answers a rhyme (bench/forms.py)


@dataclass(frozen=True)
class Form:
    name: str
    description: str
    script: Script
    scheme: str = ""  # rhyme letter per line ("ABAB"); "-" or "" for an unrhymed line
    syllables: tuple[tuple[int, int], ...] = ()  # (fewest, most) syllables per line
    iambic: bool = False  # stress on the even syllables (da-DUM), primary stresses of longer words
    lines: tuple[int, ...] = ()  # Chinese forms: clause counts allowed
    any_line: tuple[int, int] | None = None  # free verse: (fewest, most) syllables of each of its lines

    @property
    def free(self) -> bool:
        return not self.syllables and not self.lines

    def line_syllables(self, line: int) -> tuple[int, int]:
        """(fewest, most) syllables of line ``line`` (0-based)."""
        if self.any_line is not None:
            return self.any_line
        return self.syllables[line]

    def rhyme_letter(self, line: int) -> str | None:
        """The rhyme group of line ``line`` (0-based), or None for an unrhymed line."""
        letter = self.scheme[line] if line < len(self.scheme) else "-"
        return None if letter == "-" else letter


def _iambic(lines: int) -> tuple[tuple[int, int], ...]:
    return ((10, 11),) * lines  # pentameter; the eleventh syllable is a feminine (unstressed) ending


FORMS: dict[str, Form] = {
    f.name: f
    for f in (
        Form(
            "sonnet",
            "Shakespearean sonnet: 14 lines of iambic pentameter, ABAB CDCD EFEF GG",
            "latin",
            "ABABCDCDEFEFGG",
            _iambic(14),
            iambic=True,
        ),
        Form(
            "quatrain",
            "four lines of iambic pentameter rhymed ABAB",
            "latin",
            "ABAB",
            _iambic(4),
            iambic=True,
        ),
        Form(
            "couplets",
            "four lines of iambic pentameter rhymed AABB",
            "latin",
            "AABB",
            _iambic(4),
            iambic=True,
        ),
        Form(
            "limerick",
            "five lines rhymed AABBA: 8–9, 8–9, 5–6, 5–6 and 8–9 syllables",
            "latin",
            "AABBA",
            ((8, 9), (8, 9), (5, 6), (5, 6), (8, 9)),
        ),
        Form(
            "haiku", "three unrhymed lines of 5, 7 and 5 syllables", "latin", "---", ((5, 5), (7, 7), (5, 5))
        ),
        Form("free", "the model's own lines, no rhyme or metre", "latin", any_line=(6, 12)),
        Form("regulated", "律诗 or 绝句, the shape drawn as often as the corpus has it", "han", lines=(4, 8)),
        Form("jueju", "绝句: four lines of 5 or 7 characters", "han", lines=(4,)),
        Form("lushi", "律诗: eight lines of 5 or 7 characters", "han", lines=(8,)),
    )
}
ENGLISH_FORMS = tuple(name for name, f in FORMS.items() if f.script == "latin")
CHINESE_FORMS = tuple(name for name, f in FORMS.items() if f.script == "han")


def form_named(name: str) -> Form | None:
    return FORMS.get(name.strip().lower())
