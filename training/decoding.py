"""The decoding rules an exported model is served with, derived from its corpus.

A character verse model gets its corpus's lexicon (every word it may write), endings at a
sentence end and capitals at line starts, and the whole words its verse forms write: every word of
the corpus but its proper names (``proper_names``), which a form would otherwise write in lower
case ("the mercutio") since it folds case; a one-poem-per-line model whose corpus is regulated
Chinese verse gets that form, with the corpus's shares of each shape and a tone and rhyme table
(``training.prosody``) for every character of the corpus. Rules are data in the manifest, so a
model can be refreshed (``bardling export-rules``) without retraining, and the engine needs no
knowledge of corpora.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from artifact.corpora import Corpus
from artifact.lexicon import LEXICON_FILE, SENTENCE_ENDS, WHOLE_WORD, WORDS_FILE, Lexicon, fold
from artifact.manifest import Decoding, Manifest, sha256_file
from artifact.prosody import is_function_word
from artifact.tang_prosody import PROSODY_FILE, Prosody, shape_shares
from artifact.verse_form import is_regulated

REGULATED_SHARE = 0.9  # of a line corpus's poems (some 6-clause poems are fine), to serve the form
NAME_SHARE = 0.9  # of a word's uses inside a sentence written with a capital: a proper name
POSSESSIVE = "'s"


# by the ``Decoding`` field that names their file: "lexicon", "words", "prosody" (Tang tones and rhymes)
Lexicons = dict[str, Lexicon | Prosody]


def derive_rules(mode: str, kind: str, corpus: Corpus) -> tuple[Decoding, Lexicons]:
    """The rules for a model of ``mode``/``kind`` trained on ``corpus`` (lexicons not yet written)."""
    text = "\n".join(corpus.texts.values())
    if mode == "char" and kind == "verse":
        decoding = Decoding(lexicon=LEXICON_FILE, words=WORDS_FILE, sentence_end=True, line_capitals=True)
        whole = Lexicon.from_text(text, whole=True)
        verse_words = Lexicon(whole.words - proper_names(text))
        return decoding, {"lexicon": Lexicon.from_text(text), "words": verse_words}
    if mode == "line" and kind == "verse":
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        if lines and sum(map(is_regulated, lines)) >= REGULATED_SHARE * len(lines):
            from training.prosody import build_prosody  # the dictionaries are needed for Tang only

            decoding = Decoding(form="regulated", prosody=PROSODY_FILE, shapes=shape_shares(lines))
            return decoding, {"prosody": build_prosody(text)}
    return Decoding(), {}


def proper_names(text: str) -> frozenset[str]:
    """The (folded) whole words that ``text`` capitalises inside sentences: Romeo, Rome, Cupid's.

    Only uses after a line's first word and not after a sentence end count, as a capital there is
    the name's own; a possessive counts with its name. "I" and other function words are no names.
    """
    capital: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for line in text.split("\n"):
        for match in WHOLE_WORD.finditer(line):
            before = line[: match.start()].rstrip()
            if not before or before[-1] in SENTENCE_ENDS:
                continue
            word = match.group()
            (capital if word[0].isupper() else lower)[_named(fold(word))] += 1
    names = {w for w, n in capital.items() if n >= NAME_SHARE * (n + lower[w]) and not is_function_word(w)}
    return frozenset(w for m in WHOLE_WORD.finditer(text) if _named(w := fold(m.group())) in names)


def _named(word: str) -> str:
    return word.removesuffix(POSSESSIVE) if word.endswith(POSSESSIVE) and len(word) > 2 else word


def write_rules(directory: Path, decoding: Decoding, lexicons: Lexicons) -> Decoding:
    """Write the lexicons beside the model; returns ``decoding`` with their checksums filled in."""
    update: dict[str, str | None] = {}
    for field in ("lexicon", "words", "prosody"):
        name, lexicon = getattr(decoding, field), lexicons.get(field)
        if name is None or lexicon is None:
            update |= {field: None, f"{field}_sha256": None}
            continue
        lexicon.write(directory / name)
        update[f"{field}_sha256"] = sha256_file(directory / name)
    return decoding.model_copy(update=update)


def refresh_rules(model_dir: Path, corpus: Corpus) -> Manifest:
    """Re-derive an exported model's rules from its corpus and rewrite its manifest in place."""
    manifest = Manifest.read(model_dir)
    if corpus.sha256 != manifest.corpus.sha256:
        raise ValueError(
            f"corpus {corpus.name!r} is not the text {manifest.name} was trained on (sha256 differs)"
        )
    decoding, lexicons = derive_rules(manifest.tokenizer["mode"], manifest.kind, corpus)
    manifest.decoding = write_rules(model_dir, decoding, lexicons)
    for field, file in (("lexicon", LEXICON_FILE), ("words", WORDS_FILE), ("prosody", PROSODY_FILE)):
        stale = model_dir / file
        if getattr(manifest.decoding, field) is None and stale.exists():
            stale.unlink()
    manifest.write(model_dir)
    return manifest
