"""The words a verse form may write: the corpus's words but its proper names."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact.corpora import Corpus, load_corpus
from artifact.lexicon import WORDS_FILE, Lexicon
from artifact.manifest import Manifest
from training.decoding import derive_rules, proper_names

from .texts import corpora_dir, needs_corpora

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"
TEXT = (
    "Romeo and Juliet.\n"
    "I go to Rome with Romeo's cat, and the rome.\n"
    "O gentle night, I say, O love.\n"
    "Then Time and time again.\n"
)


def test_a_word_capitalised_inside_sentences_is_a_name() -> None:
    names = proper_names(TEXT)
    assert {"romeo", "romeo's", "juliet"} <= names  # a possessive counts with its name
    assert "rome" not in names  # once in lower case, as often as with a capital: a word
    assert "time" not in names and "then" not in names  # a capital that opens a line says nothing
    assert "i" not in names  # a function word


def test_a_verse_model_writes_no_names_but_knows_them_as_words() -> None:
    corpus = Corpus("toy", "text", "0" * 64, {"all": TEXT})
    decoding, lexicons = derive_rules("char", "verse", corpus)
    words, every = lexicons["words"], lexicons["lexicon"]
    assert decoding.words == WORDS_FILE and isinstance(words, Lexicon) and isinstance(every, Lexicon)
    assert "romeo" not in words and "juliet" not in words and {"i", "rome", "love"} <= words.words
    assert "romeo" in every  # the free-verse lexicon still lets a name be spelt (in its own case)


@needs_corpora
@pytest.mark.parametrize("name", ["shakespeare", "sonnets"])
def test_the_shipped_words_are_what_export_derives(name: str, tmp_path: Path) -> None:
    manifest = Manifest.read(SHIPPED / name)
    corpus = load_corpus(manifest.corpus_source, corpora_dir=corpora_dir(), cache_dir=tmp_path)
    _, lexicons = derive_rules("char", "verse", corpus)
    assert Lexicon.read(SHIPPED / name / WORDS_FILE) == lexicons["words"]
