"""``bardling evaluate``: held-out figures (training's scoring) plus the quality of served text.

The held-out part scores the ``.onnx`` file against the split the manifest records; the served
part draws texts through the engine exactly as the bot serves them (manifest sampling settings
and decoding rules) and measures them against the quality targets: real words and verbatim
copies for verse, new names for name models, the form, rhyme, tonal pattern, rare characters and copies
for regulated verse.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from artifact.forms import ENGLISH_FORMS, FORMS
from artifact.manifest import MANIFEST_FILE, Manifest
from artifact.paths import default_data_dir
from artifact.tang_prosody import Prosody
from bot.engine.rules import forms_of
from bot.quality import served
from bot.quality.forms import form_report
from training import cli as training_cli

SamplesOpt = Annotated[
    int,
    typer.Option("--samples", min=0, help="Texts drawn at the served settings (0: held-out figures only)."),
]


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)


def evaluate(
    model_or_run: Annotated[str, typer.Argument(help="An exported model directory, or a run (id or path).")],
    corpus: Annotated[
        str | None, typer.Option(help="Corpus to use instead of the one the model names.")
    ] = None,
    samples: SamplesOpt = 100,
    rules: Annotated[
        bool,
        typer.Option("--rules/--no-rules", help="Sample under the manifest's decoding rules, or freely."),
    ] = True,
    data_dir: training_cli.DataDirOption = None,
    corpora_dir: training_cli.CorporaDirOption = None,
    device: training_cli.DeviceOption = "cpu",
    json_out: training_cli.JsonOutOption = None,
    form: Annotated[
        list[str] | None,
        typer.Option("--form", help="Measure poems in this form (repeatable; default: each English form)."),
    ] = None,
) -> None:
    """Validation figures of an exported model (ONNX Runtime) or a run (PyTorch); for an exported
    model also the quality of SAMPLES served texts."""
    if device not in ("cpu", "cuda"):
        training_cli.fail(f"--device must be cpu or cuda, not {device!r}", code=2)
    training_cli.evaluate(
        model_or_run, corpus=corpus, data_dir=data_dir, corpora_dir=corpora_dir, device=device,
        json_out=json_out,
    )  # fmt: skip
    path = Path(model_or_run)
    if samples == 0 or not (path / MANIFEST_FILE).is_file():
        return
    manifest = Manifest.read(path)
    if manifest.kind == "prose":  # the targets are for verse, names and Tang poems
        typer.echo("(no served-text measures for a prose model; its target is the perplexity above)")
        return
    from rich.console import Console

    from artifact.corpora import CorpusError, load_corpus
    from training.reporting import summary_table

    cache = (data_dir or default_data_dir()) / "corpora"
    try:
        source = load_corpus(corpus or manifest.corpus_source, corpora_dir=corpora_dir, cache_dir=cache)
    except (CorpusError, FileNotFoundError, ValueError) as exc:
        training_cli.fail(str(exc))
    with tempfile.TemporaryDirectory() as bundle:  # the engine serves a directory of models
        (Path(bundle) / manifest.name).symlink_to(path.resolve(), target_is_directory=True)
        figures = asyncio.run(_served_figures(Path(bundle), manifest, source, samples, rules, device, form))
    how = "served settings" if rules else "served settings, decoding rules off"
    Console().print(summary_table(f"{path}: {samples} texts at the {how}", figures))
    if json_out is not None:
        training_cli.write_json(json_out, {"served": figures})


async def _served_figures(
    bundle: Path,
    manifest: Manifest,
    source: Any,
    samples: int,
    rules: bool,
    device: str = "cpu",
    forms: list[str] | None = None,
) -> dict[str, Any]:
    from bot.engine.engine import Engine  # ONNX Runtime loads only for the command that serves
    from training.data import LineData, dataset_for

    text = "\n".join(source.texts.values())
    where: Any = device  # checked by the command: cpu | cuda
    async with Engine(bundle, device=where, threads=1, decoding_rules=rules) as engine:
        if manifest.decoding.form == "regulated":
            table = manifest.decoding.prosody
            prosody = Prosody.read(bundle / manifest.name / table) if table else None
            return await served.regulated_report(
                engine, manifest.name, samples, acrostics=rules, prosody=prosody, corpus=text
            )
        if manifest.kind == "names":
            settings = dict(manifest.training.get("config") or {})
            data = dataset_for(source, settings, manifest.build_tokenizer())
            assert isinstance(data, LineData)
            corpus = served.Corpus(text, data.train_lines, data.val_lines)
            return await served.names_report(engine, manifest.name, samples, corpus)
        dictionary = _dictionary()
        figures = await served.verse_report(engine, manifest.name, samples, served.Corpus(text), dictionary)
        for name in forms if forms is not None else (list(forms_of(manifest)) if rules else []):
            if name not in FORMS or FORMS[name].script != "latin":
                training_cli.fail(f"--form must be one of {', '.join(ENGLISH_FORMS)}, not {name!r}", code=2)
            report = await form_report(engine, manifest.name, FORMS[name], samples, text, dictionary)
            figures |= {f"{name}: {k}": v for k, v in report.items()}
        return figures


def _dictionary() -> frozenset[str] | None:
    """Webster's Second (``english-words``), lower-cased letters only, when installed."""
    try:
        from english_words import get_english_words_set
    except ImportError:
        return None
    return frozenset(get_english_words_set(["web2"], lower=True, alpha=True))
