"""Splitting replies into platform-sized messages, and the button payload shared by both platforms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.types import Button, Reply
from bot.transports.buttons import decode_button, encode_button, is_brief
from bot.transports.text_split import split_text, utf16_len

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=600)
verse = st.lists(st.text(st.sampled_from("abc xyz,.😀"), max_size=30), max_size=40).map("\n".join)
limits = st.integers(min_value=2, max_value=120)


def _visible(text: str) -> str:
    return "".join(text.split())


@given(texts, limits)
def test_chunks_fit_are_never_blank_and_keep_every_visible_character(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(utf16_len(c) <= limit and c.strip() for c in chunks)
    assert _visible("".join(chunks)) == _visible(text)


@given(texts, limits)
def test_text_that_fits_is_one_message_as_written(text: str, limit: int) -> None:
    if utf16_len(text) <= limit and text.strip():
        assert split_text(text, limit) == [text.rstrip()]


@given(verse, st.integers(min_value=64, max_value=200))
def test_lines_that_fit_are_never_cut(text: str, limit: int) -> None:
    lines = {line.rstrip() for line in text.split("\n") if line.strip()}
    for chunk in split_text(text, limit):
        assert all(line.rstrip() in lines for line in chunk.split("\n") if line.strip())


def test_emoji_count_as_two_units() -> None:
    assert split_text("😀" * 3, 4) == ["😀😀", "😀"]


def test_words_are_kept_whole_when_a_line_is_too_long() -> None:
    assert split_text("alpha beta gamma", 11) == ["alpha beta", "gamma"]


def test_blank_text_gives_no_messages() -> None:
    assert split_text(" \n\t ", 10) == []


@given(st.sampled_from(["fav", "again", "unfav", "replay"]), st.integers(min_value=1, max_value=10**18))
def test_button_payloads_round_trip_within_telegram_limit(command: str, generation_id: int) -> None:
    payload = encode_button(Button("label", command, str(generation_id)))
    assert len(payload.encode()) <= 64
    assert decode_button(payload) == (command, str(generation_id))


@pytest.mark.parametrize("payload", ["", "fav", "fav:", ":1", "FAV:1", "fav:1:2", "fav:1 2", "x" * 40 + ":1"])
def test_foreign_payloads_are_not_decoded(payload: str) -> None:
    assert decode_button(payload) is None


def test_unencodable_buttons_are_a_bug() -> None:
    with pytest.raises(ValueError, match="command:id"):
        encode_button(Button("label", "fav", "has space"))


def test_generations_are_posted_and_acknowledgements_are_brief() -> None:
    assert is_brief(Reply("Saved #3."))
    assert not is_brief(Reply("verse", generation_id=3))
    assert not is_brief(Reply("verse", buttons=[Button("⭐ Save", "fav", "3")]))
