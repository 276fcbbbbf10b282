"""The form measures of ``bardling evaluate`` on hand-made poems: they say what a reader would."""

from __future__ import annotations

from artifact.forms import FORMS
from bot.quality.forms import (
    dangles,
    is_header_or_direction,
    is_real,
    measure,
    overlapping_pairs,
    scans_iambic,
    syllables,
)

GRAY = """The curfew tolls the knell of parting day,
The lowing herd wind slowly o'er the lea,
The ploughman homeward plods his weary way,
And leaves the world to darkness and to me."""


def test_a_real_quatrain_rhymes_scans_and_counts() -> None:
    figures = measure(FORMS["quatrain"], [GRAY], frozenset())
    assert figures.rhyme == 1.0 and figures.syllables == 1.0 and figures.lines_expected == 1.0
    assert figures.iambic == 1.0 and figures.headers == 0 and figures.dangling == 0.0


def test_broken_verse_is_caught() -> None:
    broken = "The king is dead and gone away from here today\nROMEO:\nI love the\n[Exit]"
    figures = measure(FORMS["quatrain"], [broken], frozenset())
    assert figures.rhyme is not None and figures.rhyme < 1.0
    assert figures.syllables is not None and figures.syllables < 1.0
    assert figures.headers == 2 and figures.dangling == 0.0
    assert dangles("I love the") and dangles("my heart, and I'll") and not dangles("my heart.")


def test_the_pieces_of_the_measure() -> None:
    assert syllables("The curfew tolls the knell of parting day,") == 10
    assert not scans_iambic("Happy the man whose wish and care")  # HAP-py opens on a stress
    assert is_header_or_direction("First Servingman:") and is_header_or_direction("Enter Romeo")
    assert not is_header_or_direction(
        "Enter these gates, my love, and be at rest"
    )  # "Enter" only as a direction
    webster = frozenset({"god", "love", "make", "dispatched"})
    assert all(is_real(w, webster) for w in ("gods", "loved", "maketh", "dispatch'd", "thou'rt", "hath"))
    assert not is_real("cribunes", webster)
    assert overlapping_pairs(["a" * 50, "a" * 50, "b" * 50]) == 1 / 3
    free = FORMS["free"]  # every line of free verse is held to one range of syllables
    assert (
        free.free
        and measure(free, ["Some words here.\nAnd a line of eight syllables."], None).syllables == 0.5
    )
