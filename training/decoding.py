"""The decoding rules an exported model is served with, derived from its corpus.

A character verse model gets its corpus's lexicon (every word it may write), endings at a
sentence end and capitals at line starts; a one-poem-per-line model whose corpus is regulated
Chinese verse gets that form, with the corpus's shares of each shape and a tone and rhyme table
(``training.prosody``) for every character of the corpus. Rules are data in the manifest, so a
model can be refreshed (``bardling export-rules``) without retraining, and the engine needs no
knowledge of corpora.
"""

from __future__ import annotations

from pathlib import Path

from artifact.corpora import Corpus
from artifact.lexicon import LEXICON_FILE, WORDS_FILE, Lexicon
from artifact.manifest import Decoding, Manifest, sha256_file
from artifact.tang_prosody import PROSODY_FILE, Prosody, shape_shares
from artifact.verse_form import is_regulated

REGULATED_SHARE = 0.9  # of a line corpus's poems (some 6-clause poems are fine), to serve the form


# by the ``Decoding`` field that names their file: "lexicon", "words", "prosody" (Tang tones and rhymes)
Lexicons = dict[str, Lexicon | Prosody]


def derive_rules(mode: str, kind: str, corpus: Corpus) -> tuple[Decoding, Lexicons]:
    """The rules for a model of ``mode``/``kind`` trained on ``corpus`` (lexicons not yet written)."""
    text = "\n".join(corpus.texts.values())
    if mode == "char" and kind == "verse":
        decoding = Decoding(lexicon=LEXICON_FILE, words=WORDS_FILE, sentence_end=True, line_capitals=True)
        return decoding, {"lexicon": Lexicon.from_text(text), "words": Lexicon.from_text(text, whole=True)}
    if mode == "line" and kind == "verse":
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        if lines and sum(map(is_regulated, lines)) >= REGULATED_SHARE * len(lines):
            from training.prosody import build_prosody  # the dictionaries are needed for Tang only

            decoding = Decoding(form="regulated", prosody=PROSODY_FILE, shapes=shape_shares(lines))
            return decoding, {"prosody": build_prosody(text)}
    return Decoding(), {}


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
