"""The shared tokenizer: every mode round-trips, and unknown symbols follow the one documented rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from artifact.tokenizer import BOS, EOS_LINE, UNK, UNK_DISPLAY, Tokenizer


@given(st.text(min_size=1))
def test_char_round_trip_any_text(text: str) -> None:
    tok = Tokenizer.build_char(text)
    assert tok.decode(tok.encode(text).ids) == text


@given(st.text(min_size=1))
def test_serialised_tokenizer_encodes_identically(text: str) -> None:
    tok = Tokenizer.build_char(text, min_freq=2)
    again = Tokenizer.from_dict(tok.to_dict())
    assert again.encode(text) == tok.encode(text)


def test_chinese_round_trip() -> None:
    poem = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
    tok = Tokenizer.build_char(poem)
    assert len(tok.encode(poem).ids) == len(poem)
    assert tok.decode(tok.encode(poem).ids) == poem


def test_rare_characters_become_unk_with_min_freq() -> None:
    tok = Tokenizer.build_char("aaab", min_freq=2)
    assert tok.unk == UNK and "b" not in tok.vocab
    enc = tok.encode("abz")
    assert enc.ids == [tok.id_of("a"), tok.unk_id, tok.unk_id] and enc.dropped == []
    assert tok.decode(enc.ids) == "a" + UNK_DISPLAY * 2


def test_unknown_characters_dropped_and_reported_without_unk() -> None:
    tok = Tokenizer.build_char("hello")
    enc = tok.encode("help!")
    assert tok.decode(enc.ids) == "hel"
    assert enc.dropped == ["p", "!"]


def test_line_mode_frames_each_line() -> None:
    tok = Tokenizer.build_line(["Zuul", "Aachenosaurus"], lowercase=True)
    ids = tok.encode_line("Zuul").ids
    assert ids[0] == tok.id_of(BOS) and ids[-1] == tok.id_of(EOS_LINE)
    assert tok.decode(ids) == "zuul"
    assert tok.encode("TYRANNOSAURUS").ids  # folded to lower case before lookup


def test_word_mode_round_trip_with_eos() -> None:
    text = "the cat sat\non the <unk> mat"
    tok = Tokenizer.build_word(text)
    ids = tok.encode(text).ids
    assert tok.decode(ids) == text
    assert tok.encode("the dog").ids[1] == tok.unk_id
