"""The line masks never lead into a dead end: whatever letter a mask lets through, the line can
still be finished in its form (the composer only has to choose among lines that all keep it)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from artifact.forms import FORMS
from artifact.lexicon import WORDS_FILE, Lexicon
from artifact.manifest import Manifest
from bot.engine.verse import FormRules, LineConstraint, LineSpec, line_specs

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models" / "shakespeare"
WALKS = 150
WORD_INSIDE_SENTENCE = re.compile(r"(?<=[^.!?\s] )[^\W\d_][\w']*")  # after a word (or a mark) and a space


@pytest.fixture(scope="module")
def rules() -> FormRules:
    tokenizer = Manifest.read(SHIPPED).build_tokenizer()
    return FormRules(tokenizer, Lexicon.read(SHIPPED / WORDS_FILE), capitals=True)


def walk(rules: FormRules, spec: LineSpec, rng: random.Random) -> tuple[LineConstraint, str]:
    """A line written by a uniformly random choice among the letters and marks each mask allows."""
    line, text = rules.line(spec), ""
    while not line.finished(0, 0):
        allowed = line.allowed()
        assert allowed and not line.failed, (spec, text)
        token = rng.choice(allowed)
        line.accept(token)
        text += rules.pieces[token]
    return line, text


@pytest.mark.parametrize("form", ["sonnet", "limerick", "haiku", "free"])
def test_every_letter_a_mask_allows_leads_to_a_line_in_form(rules: FormRules, form: str) -> None:
    rng = random.Random(f"masks-{form}")  # fixed: the same walks every run
    specs = line_specs(FORMS[form], lines=2)
    for _ in range(WALKS):
        for spec in specs[:2] + specs[-1:]:
            line, text = walk(rules, spec, rng)
            assert line.kept_form, (spec, text)
            assert text[0].isupper(), text  # a line opens with a capital
            inside = [m.group() for m in WORD_INSIDE_SENTENCE.finditer(text)]
            assert all(w[0].islower() or w in ("I", "O") or w.startswith("I'") for w in inside), text
