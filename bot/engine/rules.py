"""Which decoding rules a model version is served with, from its manifest's ``decoding`` section."""

from __future__ import annotations

from artifact.forms import CHINESE_FORMS, ENGLISH_FORMS
from artifact.lexicon import Lexicon
from artifact.manifest import Decoding, Manifest
from artifact.tang_prosody import Prosody
from artifact.tokenizer import Tokenizer
from bot.engine.constraints import Rules, VerseRules
from bot.engine.regulated import RegulatedVerseRules


def rules_for(
    decoding: Decoding, tokenizer: Tokenizer, lexicon: Lexicon | None, prosody: Prosody | None = None
) -> Rules | None:
    """The rules a manifest asks for, or None when sampling is free."""
    if decoding.form == "regulated":
        return RegulatedVerseRules(tokenizer, prosody, decoding.shapes)
    if lexicon is not None or decoding.sentence_end or decoding.line_capitals:
        return VerseRules(
            tokenizer, lexicon, sentence_end=decoding.sentence_end, capitals=decoding.line_capitals
        )
    return None


def forms_of(manifest: Manifest) -> tuple[str, ...]:
    """The ``artifact.forms`` a model's rules can keep: Chinese forms for regulated verse, English
    forms for a verse model with a lexicon (syllables and rhymes are known only for its words)."""
    if manifest.decoding.form == "regulated":
        return CHINESE_FORMS
    if manifest.kind == "verse" and manifest.decoding.words:
        return ENGLISH_FORMS
    return ()


DEFAULT_FORMS = ("sonnet", "regulated")  # the first a model keeps is what /poem asks of it


def default_form_of(manifest: Manifest) -> str | None:
    """What /poem asks for when the user names no form: a sonnet of an English verse model (chosen
    by measurement, docs/quality.md), a Tang model's regulated verse in the corpus's shapes. None
    (a model that keeps no form) is free verse on the rules generations had before forms."""
    forms = forms_of(manifest)
    return next((f for f in DEFAULT_FORMS if f in forms), None)
