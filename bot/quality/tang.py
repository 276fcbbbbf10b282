"""What the Tang targets measure, as pure functions of served poems and the model's prosody table.

Rhyme: every even line ends in one Pingshui level group (the rule the decoder keeps), and, as a
reader of Mandarin hears it, in one 十三辙 class by modern finals (sound change hides many
Pingshui rhymes from modern readings, so this is lower even in the corpus). Tone fit: of the
constrained positions (2nd/4th/6th characters, odd lines' ends after the first) holding a
character of known single tone, the share that fits the poem's better key. Rare characters: the
share of generated characters the corpus has fewer than ``RARE_BELOW`` times. Copies: generated
characters inside ``COPY_SPAN``+-character spans of the corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from artifact.tang_prosody import Prosody, Scansion, scan
from artifact.verse_form import is_ideograph
from bot.quality.measures import CopyFinder, Sample, percent

RARE_BELOW = 200
COPY_SPAN = 10
SHAPE_ORDER = ("8x5", "4x7", "8x7", "4x5")


def scansions(samples: Sequence[Sample], prosody: Prosody) -> list[Scansion | None]:
    return [scan(s.text, prosody, skip=s.seed_chars) for s in samples]


def rhyme_figures(samples: Sequence[Sample], prosody: Prosody, label: str = "") -> dict[str, Any]:
    """Rhyme rates, tone fit and shapes of ``samples`` (poems that are not regulated count as misses)."""
    scanned = scansions(samples, prosody)
    done = [s for s in scanned if s is not None]
    count = len(samples) or 1
    fitting, judged = sum(s.fitting for s in done), sum(s.judged for s in done)
    shapes = Counter(s.shape for s in done)
    return {
        f"{label}even lines in one Pingshui group": percent(sum(bool(s.rhyme_groups) for s in done) / count),
        f"{label}even lines in one modern rhyme (十三辙)": percent(sum(s.modern_rhyme for s in done) / count),
        f"{label}tone fit of constrained positions ({judged})": percent(fitting / judged)
        if judged
        else "n/a",
        f"{label}shapes {'/'.join(SHAPE_ORDER)}": " / ".join(str(shapes[k]) for k in SHAPE_ORDER),
    }


class CorpusChars:
    """Character counts and copy spans of the training text, built once per report."""

    def __init__(self, text: str) -> None:
        self.counts = Counter(c for c in text if is_ideograph(c))
        self.copies = CopyFinder(text, COPY_SPAN)

    def rare_share(self, texts: Sequence[str]) -> float:
        chars = [c for t in texts for c in t if is_ideograph(c)]
        return sum(self.counts[c] < RARE_BELOW for c in chars) / len(chars) if chars else 0.0

    def own_rare_share(self) -> float:
        """The corpus's own share of characters it has fewer than ``RARE_BELOW`` times."""
        total = sum(self.counts.values())
        return sum(n for n in self.counts.values() if n < RARE_BELOW) / total if total else 0.0

    def figures(self, samples: Sequence[Sample]) -> dict[str, Any]:
        generated = [s.generated for s in samples]
        return {
            f"generated chars rarer than {RARE_BELOW} in the corpus (corpus: "
            f"{percent(self.own_rare_share())})": percent(self.rare_share(generated)),
            f"chars in {COPY_SPAN}+ char copies of the corpus": percent(self.copies.copied_share(samples)),
        }
