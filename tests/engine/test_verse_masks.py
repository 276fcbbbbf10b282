"""The line masks never lead into a dead end: whatever letter a mask lets through, the line can
still be finished in its form (the composer only has to choose among lines that all keep it)."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from artifact.forms import FORMS
from artifact.lexicon import WORDS_FILE, Lexicon
from artifact.manifest import Manifest
from artifact.prosody import pronounce
from bot.engine.verse import FormRules, LineConstraint, LineSpec, line_specs

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"
WALKS = 150
WORD_INSIDE_SENTENCE = re.compile(r"(?<=[^.!?\s] )[^\W\d_][\w']*")  # after a word (or a mark) and a space


@pytest.fixture(scope="module", params=["shakespeare", "sonnets"])
def rules(request: pytest.FixtureRequest) -> FormRules:
    directory = SHIPPED / request.param
    tokenizer = Manifest.read(directory).build_tokenizer()
    return FormRules(tokenizer, Lexicon.read(directory / WORDS_FILE), capitals=True)


def walk(rules: FormRules, spec: LineSpec, rng: random.Random) -> tuple[LineConstraint, str]:
    """A line written by a uniformly random choice among the letters and marks each mask allows
    (taken in id order, so the walk is the same in every process)."""
    line, text = rules.line(spec), ""
    while not line.finished(0, 0):
        allowed = sorted(line.allowed())
        assert allowed and not line.failed, (spec, text)
        token = rng.choice(allowed)
        line.accept(token)
        text += rules.pieces[token]
    return line, text


def assert_clean(line: LineConstraint, text: str) -> None:
    assert line.kept_form, (line.spec, text)
    assert text[0].isupper(), text  # a line opens with a capital
    inside = [m.group() for m in WORD_INSIDE_SENTENCE.finditer(text)]
    assert all(w[0].islower() or w in ("I", "O") or w.startswith("I'") for w in inside), text


@pytest.mark.parametrize("form", ["sonnet", "limerick", "haiku", "free"])
def test_every_letter_a_mask_allows_leads_to_a_line_in_form(rules: FormRules, form: str) -> None:
    rng = random.Random(f"masks-{form}")  # fixed: the same walks every run
    specs = line_specs(FORMS[form], lines=2)
    for _ in range(WALKS):
        for spec in specs[:2] + specs[-1:]:
            assert_clean(*walk(rules, spec, rng))


@pytest.mark.parametrize("form", ["sonnet", "limerick"])
def test_a_line_that_must_rhyme_never_runs_out_of_rhymes(rules: FormRules, form: str) -> None:
    """Rhymes with few words are where a line can be cornered (a sentence end before the last
    word, when the one rhyme left starts with a letter the model never saw as a capital)."""
    rng = random.Random(f"rhymes-{form}")
    rhymed = sorted(w for w in rules.words if pronounce(w).rhyme)
    base = line_specs(FORMS[form])[1]
    walked = 0
    while walked < 4 * WALKS:
        partner = rng.choice(rhymed)
        spec = replace(base, rhyme=pronounce(partner).rhyme, partners=(partner,), rhymable=0)
        if rules.last_start(spec) < 0:  # nothing else rhymes: the composer starts a fresh rhyme
            continue
        walked += 1
        assert_clean(*walk(rules, spec, rng))


def test_no_sentence_ends_where_no_capitalised_word_can_follow() -> None:
    """The sonnets model never saw a capital Z: after "zealous" at the ninth syllable of a line
    that must rhyme with "jealous", a full stop would leave only "Zealous" to end the line."""
    directory = SHIPPED / "sonnets"
    tokenizer = Manifest.read(directory).build_tokenizer()
    rules = FormRules(tokenizer, Lexicon.read(directory / WORDS_FILE), capitals=True)
    assert "Z" not in tokenizer.vocab and "z" in tokenizer.vocab
    spec = replace(line_specs(FORMS["sonnet"])[2], rhyme=pronounce("jealous").rhyme, partners=("jealous",))
    line = rules.line(spec)
    for char in "Pebbled us aid. Aright! Purge: zealous":
        assert tokenizer.id_of(char) in line.allowed(), char
        line.accept(tokenizer.id_of(char))
    assert not {rules.pieces[i] for i in line.allowed()} & set(".!?")
