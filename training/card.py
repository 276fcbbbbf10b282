"""The model card (``README.md``) written beside every export, from its manifest.

Generated rather than hand-written so the figures in it can never drift from the manifest,
and so it always carries the commands that reproduce the model.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from artifact.manifest import CARD_FILE, Manifest
from artifact.run_config import TrainConfig, argv

# The terms of each named corpus, as far as they are known (not legal advice); a card says which
# applied to the text its model learned from, since a model can carry its data's terms.
DATA_LICENCES = {
    "shakespeare": "Tiny Shakespeare (A. Karpathy's char-rnn compilation): Shakespeare's plays, "
    "public-domain text.",
    "sonnets": "Shakespeare's Sonnets (1609), public-domain text, in the plain edition that ships with "
    'the deeplearning.ai "Sequence Models" course material, whose packaging carries no stated licence.',
    "dinos": 'dinosaur genus names (facts) from the deeplearning.ai "Sequence Models" course material, '
    "which carries no stated licence; the corpus is fetched, never redistributed.",
    "tang": "Tang poems (《全唐诗》, public-domain text) from the digitised JSON of chinese-poetry "
    "(MIT licence, © 2016 JackeyGao), filtered and converted to simplified characters.",
    "ptb": "Penn Treebank (Wall Street Journal text, LDC99T42, Mikolov's preprocessing), licensed by the "
    "Linguistic Data Consortium: research use only; the corpus is never redistributed.",
    "timemachine": "H. G. Wells, The Time Machine (1895), public-domain text.",
}
DEFAULTS = TrainConfig(corpus="").to_dict()


def train_command(settings: dict[str, Any], run_dir: str) -> str:
    """The ``bardling train`` line that recreates a run with these settings (those that differ from
    the defaults; the manifest records them all)."""
    shown = {k: v for k, v in settings.items() if v != DEFAULTS.get(k)}
    parts = ["bardling", "train", settings["corpus"], *argv(shown), "--run-dir", run_dir]
    return shlex.join(parts)


def write_card(directory: Path, manifest: Manifest, run_name: str, out_dir: Path, note: str = "") -> Path:
    """``out_dir`` appears in the export command only when relative (no machine paths in cards)."""
    settings = TrainConfig.from_dict(manifest.training.get("config", {})).to_dict()
    arch, m = manifest.architecture, manifest.metrics
    run_dir = f"runs/{run_name}"
    stream = manifest.tokenizer["mode"] != "line"
    rows: list[tuple[str, Any]] = [
        ("validation loss, stateful (nats/token)" if stream else "validation loss (nats/token)", m.val_loss),
        ("validation loss, windowed-256 (nats/token)", m.windowed_256_loss),
        ("bits per character", m.val_bpc),
        ("perplexity", m.val_ppl),
        ("test loss (nats/token)", m.test_loss),
        ("test perplexity", m.test_ppl),
    ]
    if m.novelty:
        count = int(m.novelty.get("samples", 0))
        rows += [
            (f"of {count:,} sampled lines: {k.replace('_', ' ')}", f"{v:.1%}")
            for k, v in m.novelty.items()
            if k != "samples" and (v or k != "empty")
        ]
    rows += [
        ("parameters", arch.parameters),
        ("training steps", m.steps),
        ("training time", None if m.train_time_s is None else f"{m.train_time_s / 60:.1f} min"),
        ("hardware", m.hardware),
    ]
    table = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in rows if v is not None)
    samples = (
        "\n\n".join(f"```text\n{s}\n```" for s in manifest.samples)
        if manifest.kind != "names"
        else (", ".join(s.capitalize() for s in manifest.samples))
    )
    gen = manifest.generation
    export_args = ["bardling", "export", run_dir, "--name", manifest.name, "--version", manifest.version]
    shown_out = (
        str(out_dir) if not out_dir.is_absolute() else f"<models dir>/{manifest.name}/{manifest.version}"
    )
    if not out_dir.is_absolute():  # a folder in the repository, there in any clone: replaced
        export_args += ["--out", str(out_dir), "--force"]
    if note:
        export_args += ["--note", note]
    export_cmd = shlex.join(export_args)
    lexicon = manifest.decoding.lexicon
    lexicon_file = f", `{lexicon}` (the words the decoder may write)" if lexicon else ""
    text = f"""# {manifest.name} {manifest.version}

{manifest.description}: {arch.layers} layer(s) of {arch.hidden} units, embedding {arch.embedding},
dropout {arch.dropout}, vocabulary {arch.vocab_size} ({manifest.tokenizer["mode"]} mode).
Corpus `{manifest.corpus.name}` (sha256 `{manifest.corpus.sha256[:16]}…`); the checkpoint with the best
validation loss (step {manifest.training.get("best_step")}) is the one exported. Served with temperature
{gen.temperature}, top-p {gen.top_p}, at most {gen.max_tokens} tokens. {decoding_summary(manifest)}

{note}

## Metrics

Held-out split: {_split(manifest)}.

| metric | value |
| --- | --- |
{table}

## Samples

{samples}

## Reproduce

Run in a clone of the repository after `pip install -e '.[train]'`; the corpus is downloaded (or built
from its public source) and checked against its sha256 on first use.

```sh
{train_command(settings, run_dir)}
{export_cmd}
bardling evaluate {shown_out}
```

Data licence: {data_licence(manifest.corpus.name)}

Files: `model.onnx` (one decoding step, opset {manifest.onnx.opset}, sha256 `{manifest.onnx.sha256[:16]}…`),
`manifest.json` (architecture, tokenizer, metrics, decoding rules, library versions){lexicon_file}.
"""
    path = directory / CARD_FILE
    path.write_text(text.replace("\n\n\n", "\n\n"), "utf-8")
    return path


def data_licence(corpus: str) -> str:
    """The card's data-licence line: a file given by path has terms only its owner knows."""
    return DATA_LICENCES.get(corpus, "a local corpus file; its terms are those of its owner.")


def decoding_summary(manifest: Manifest) -> str:
    """One sentence on the rules the engine samples this model under."""
    rules = manifest.decoding
    said = []
    if rules.lexicon:
        said.append("a word may only end where it spells a word of the corpus")
    if rules.line_capitals:
        said.append("lines start with a capital")
    if rules.sentence_end:
        said.append("a text ends at a sentence end near the length asked for")
    if rules.form == "regulated":
        said.append("poems keep the regulated form (4 or 8 clauses of 5 or 7 characters, ，/。 in turn)")
        said.append("an acrostic can fix each line's first character")
        if rules.prosody:
            said.append(
                "even lines rhyme in one 平水韵 group and the 二四六 tones keep the pattern "
                f"(`{rules.prosody}`); a poem of no asked shape is drawn in the corpus's proportions"
            )
    return f"Decoding rules: {'; '.join(said)}." if said else ""


def _split(manifest: Manifest) -> str:
    settings = manifest.training.get("config", {})
    if manifest.tokenizer["mode"] == "line":
        return f"{settings.get('val_fraction', 0.1):.0%} of the lines (seed {settings.get('split_seed')})"
    if manifest.corpus.name == "ptb":
        return "the corpus's own validation and test files"
    return f"the last {settings.get('val_fraction', 0.1):.0%} of the text (nanoGPT's split)"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
