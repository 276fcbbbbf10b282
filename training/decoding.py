"""The decoding rules an exported model is served with, derived from its corpus.

A character verse model gets its corpus's lexicon (every word it may write), endings at a
sentence end and capitals at line starts; a one-poem-per-line model whose corpus is regulated
Chinese verse gets that form. Rules are data in the manifest, so a model can be refreshed
(``bardling export-rules``) without retraining, and the engine needs no knowledge of corpora.
"""

from __future__ import annotations

from pathlib import Path

from artifact.lexicon import LEXICON_FILE, Lexicon
from artifact.manifest import Decoding, Manifest, sha256_file
from artifact.verse_form import is_regulated
from training.corpora import Corpus

REGULATED_SHARE = 0.9  # of a line corpus's poems (some 6-clause poems are fine), to serve the form


def derive_rules(mode: str, kind: str, corpus: Corpus) -> tuple[Decoding, Lexicon | None]:
    """The rules for a model of ``mode``/``kind`` trained on ``corpus`` (lexicon not yet written)."""
    text = "\n".join(corpus.texts.values())
    if mode == "char" and kind == "verse":
        return Decoding(lexicon=LEXICON_FILE, sentence_end=True, line_capitals=True), Lexicon.from_text(text)
    if mode == "line" and kind == "verse":
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
        if lines and sum(map(is_regulated, lines)) >= REGULATED_SHARE * len(lines):
            return Decoding(form="regulated"), None
    return Decoding(), None


def write_rules(directory: Path, decoding: Decoding, lexicon: Lexicon | None) -> Decoding:
    """Write the lexicon beside the model; returns ``decoding`` with its checksum filled in."""
    if lexicon is None or decoding.lexicon is None:
        return decoding.model_copy(update={"lexicon": None, "lexicon_sha256": None})
    path = directory / decoding.lexicon
    lexicon.write(path)
    return decoding.model_copy(update={"lexicon_sha256": sha256_file(path)})


def refresh_rules(model_dir: Path, corpus: Corpus) -> Manifest:
    """Re-derive an exported model's rules from its corpus and rewrite its manifest in place."""
    manifest = Manifest.read(model_dir)
    if corpus.sha256 != manifest.corpus.sha256:
        raise ValueError(
            f"corpus {corpus.name!r} is not the text {manifest.name} was trained on (sha256 differs)"
        )
    decoding, lexicon = derive_rules(manifest.tokenizer["mode"], manifest.kind, corpus)
    manifest.decoding = write_rules(model_dir, decoding, lexicon)
    stale = model_dir / LEXICON_FILE
    if manifest.decoding.lexicon is None and stale.exists():
        stale.unlink()
    manifest.write(model_dir)
    return manifest
