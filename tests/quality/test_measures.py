"""The quality measures on texts whose answers are known by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.quality.measures import (
    CopyFinder,
    Sample,
    capitalised_lines,
    ends_at_sentence,
    name_shares,
    real_word_share,
    regulated_share,
)

CORPUS = "Shall I compare thee to a summer's day? Thou art more lovely and more temperate."


def test_real_words_count_only_what_was_generated_and_fold_case() -> None:
    known = {"thou", "art", "lovely"}
    seeded = Sample("Forsooth THOU art glorbly", seed_chars=len("Forsooth "))
    assert real_word_share([seeded], known) == (pytest.approx(2 / 3), 3)
    # A word the seed began and the model finished is the model's.
    assert real_word_share([Sample("lov ely", seed_chars=2)], known) == (0.0, 2)
    assert real_word_share([], known) == (1.0, 0)


def test_copies_mark_every_character_inside_a_long_verbatim_span() -> None:
    finder = CopyFinder(CORPUS, span=10)
    copied = "Thou art more lovely"  # 20 chars, all inside the corpus
    assert finder.copied(copied) == 20
    assert finder.copied("xx" + copied + "yy") == 20
    assert finder.copied("Thou 4rt more l0vely") == 0  # no 10-char window survives the change
    assert finder.copied_share([Sample("Say " + copied, seed_chars=4)]) == 1.0


@given(st.text(alphabet="abc ", max_size=60))
def test_text_absent_from_the_corpus_is_never_a_copy(text: str) -> None:
    assert CopyFinder(CORPUS, span=10).copied(text) == 0


def test_endings_and_capitals() -> None:
    assert ends_at_sentence("and so to bed.\n") and not ends_at_sentence("and so to be")
    sample = Sample("Seed line\ngoes on\nAnd Then\n\n  'Tis done", seed_chars=4)
    assert capitalised_lines(sample) == (2, 3)  # the seed's own first line is not counted


def test_name_shares() -> None:
    shares = name_shares(["Abc", "abd", "xyzw", "q"], train=["abc", "zz"], val=["ABD"])
    assert (shares.new, shares.in_train, shares.in_val) == (0.5, 0.25, 0.25)
    assert (shares.shortest, shares.longest, shares.in_length_range) == (2, 3, 0.5)


def test_regulated_share() -> None:
    quatrain = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
    assert regulated_share([quatrain, quatrain[:-1], "白日依山尽，黄河入海流。"]) == pytest.approx(1 / 3)
