"""``bardling train``, ``bardling export`` and ``bardling evaluate``.

The bot's own commands must start without PyTorch, so this module imports nothing heavy at
import time: torch (and everything under ``training`` that needs it) loads inside the commands.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from artifact.paths import default_data_dir
from training.config import DEFAULT_STEPS, TrainConfig

if TYPE_CHECKING:
    from training.trainer import RunOptions

_D = TrainConfig(corpus="")  # the defaults, so the CLI and the Python API never disagree
INSTALL_HINT = "PyTorch is not installed; install the training extra: pip install -e '.[train]'"

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="BARDLING_DATA_DIR", help="Runs, models and the corpus cache."),
]
CorporaDirOption = Annotated[
    Path | None,
    typer.Option("--corpora-dir", envvar="BARDLING_CORPORA_DIR", help="Verified local copies of corpora."),
]


def register(app: typer.Typer) -> None:
    """Add the training commands to ``app``."""
    app.command("train")(train)
    app.command("export")(export)
    app.command("export-rules")(export_rules)
    app.command("compare")(compare)


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        fail(INSTALL_HINT)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _data_dir(value: Path | None) -> Path:
    return value or default_data_dir()


def _run_options(
    base: Path,
    corpora_dir: Path | None,
    device: str,
    threads: int | None,
    max_minutes: float | None,
    stop: _StopFlag,
    quiet: bool,
) -> RunOptions:
    """How a training run started from the command line runs."""
    from training.trainer import RunOptions

    return RunOptions(
        corpora_dir=corpora_dir,
        cache_dir=base / "corpora",
        device=device,
        threads=threads,
        max_minutes=max_minutes,
        should_stop=stop,
        show_progress=not quiet,
    )


def _resolve_run(run: str, data_dir: Path) -> Path:
    """A run directory given as a path or as a run id under ``<data dir>/runs``."""
    for candidate in (Path(run), data_dir / "runs" / run):
        if (candidate / "config.json").is_file():
            return candidate
    fail(f"no training run {run!r} (looked for it as a path and under {data_dir / 'runs'})")


class _StopFlag:
    """SIGINT/SIGTERM ask for a clean stop: the run saves a checkpoint that --resume continues."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    @contextmanager
    def installed(self) -> Iterator[None]:
        def handler(signum: int, frame: FrameType | None) -> None:
            if self.requested:  # a second Ctrl-C means "now"
                raise KeyboardInterrupt
            self.requested = True

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


def train(
    corpus: Annotated[
        str | None,
        typer.Argument(help="A named corpus (shakespeare, dinos, ...) or a UTF-8 text file."),
    ] = None,
    mode: Annotated[str | None, typer.Option(help="char | word | line (default: the corpus's kind).")] = None,
    arch: Annotated[str, typer.Option(help="rnn | gru | lstm.")] = _D.arch,
    layers: Annotated[int, typer.Option(min=1)] = _D.layers,
    hidden: Annotated[int, typer.Option(min=1)] = _D.hidden,
    emb: Annotated[int, typer.Option(min=1, help="Embedding size.")] = _D.emb,
    dropout: Annotated[float, typer.Option(min=0.0, max=0.95)] = _D.dropout,
    tie_weights: Annotated[
        bool,
        typer.Option("--tie-weights/--no-tie-weights", help="Share embedding and output (emb = hidden)."),
    ] = _D.tie_weights,
    steps: Annotated[
        int | None, typer.Option(min=1, help=f"Optimizer steps (default {DEFAULT_STEPS}).")
    ] = None,
    epochs: Annotated[float | None, typer.Option(min=0.0, help="Passes over the training data.")] = None,
    batch: Annotated[int, typer.Option(min=1)] = _D.batch,
    seq_len: Annotated[int, typer.Option(min=1, help="TBPTT window (stream corpora).")] = _D.seq_len,
    lr: Annotated[float, typer.Option(min=0.0)] = _D.lr,
    weight_decay: Annotated[float, typer.Option(min=0.0)] = _D.weight_decay,
    warmup: Annotated[int, typer.Option(min=0)] = _D.warmup,
    clip: Annotated[float, typer.Option(min=0.0, help="Gradient clipping by global norm.")] = _D.clip,
    eval_every: Annotated[int | None, typer.Option(min=1)] = None,
    min_freq: Annotated[int, typer.Option(min=1, help="Rarer symbols become <unk>.")] = _D.min_freq,
    lowercase: Annotated[bool | None, typer.Option("--lowercase/--no-lowercase")] = None,
    seed: int = _D.seed,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    threads: Annotated[
        int | None, typer.Option(min=1, help="CPU threads (default: half the cores, at most 4).")
    ] = None,
    max_minutes: Annotated[
        float | None, typer.Option(min=0.0, help="Stop cleanly after this wall-clock time.")
    ] = None,
    resume: Annotated[str | None, typer.Option(help="Continue the run with this id or path.")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Where to write the run.")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar (metrics.jsonl still written).")] = False,
    data_dir: DataDirOption = None,
    corpora_dir: CorporaDirOption = None,
) -> None:
    """Train a recurrent language model; the run (checkpoints, metrics.jsonl, loss.png) goes to a run dir."""
    _require_torch()
    from training.corpora import CorpusError
    from training.trainer import TrainingError, new_run_dir
    from training.trainer import train as run_training

    base = _data_dir(data_dir)
    stop = _StopFlag()
    options = _run_options(base, corpora_dir, device, threads, max_minutes, stop, quiet)
    config: TrainConfig | None = None
    if resume is not None:
        target = _resolve_run(resume, base)
    else:
        if corpus is None:
            fail("give a CORPUS to train on, or --resume RUN", code=2)
        config = TrainConfig(
            corpus=str(Path(corpus).resolve()) if Path(corpus).is_file() else corpus,
            mode=mode,  # type: ignore[arg-type]
            lowercase=lowercase,
            min_freq=min_freq,
            arch=arch,  # type: ignore[arg-type]
            layers=layers,
            hidden=hidden,
            emb=emb,
            dropout=dropout,
            tie_weights=tie_weights,
            batch=batch,
            seq_len=seq_len,
            lr=lr,
            weight_decay=weight_decay,
            warmup=warmup,
            clip=clip,
            steps=steps,
            epochs=epochs,
            eval_every=eval_every,
            seed=seed,
        )
        try:
            _check_choices(config.to_dict())
            config.validate()
        except ValueError as exc:
            fail(str(exc), code=2)
        target = run_dir or new_run_dir(base / "runs", config)
    typer.echo(f"run: {target}", err=True)
    try:
        with stop.installed():
            summary = run_training(target, options, config)
    except (TrainingError, CorpusError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if summary.get("stopped") == "interrupted":
        typer.echo(f"stopped at step {summary['step']}; continue with: bardling train --resume {target}")


def _check_choices(settings: dict[str, Any]) -> None:
    choices = {"mode": (None, "char", "word", "line"), "arch": ("rnn", "gru", "lstm")}
    for name, allowed in choices.items():
        if settings[name] not in allowed:
            shown = " | ".join(a for a in allowed if a)
            raise ValueError(f"--{name} must be one of {shown}, not {settings[name]!r}")


def export(
    run: Annotated[str, typer.Argument(help="A training run (id or path).")],
    name: Annotated[str, typer.Option(help="Model name, e.g. shakespeare.")],
    out: Annotated[Path | None, typer.Option(help="Default: <data dir>/models/<name>/<version>/.")] = None,
    version: Annotated[str | None, typer.Option(help="Default: a UTC timestamp.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing export at --out.")] = False,
    note: Annotated[str, typer.Option(help="A sentence for the model card.")] = "",
    data_dir: DataDirOption = None,
    corpora_dir: CorporaDirOption = None,
) -> None:
    """Export a run's best checkpoint to ONNX + manifest.json, after checking parity with PyTorch."""
    _require_torch()
    from training.corpora import CorpusError
    from training.export import ExportError, default_version, export_run

    base = _data_dir(data_dir)
    run_path = _resolve_run(run, base)
    version = version or default_version()
    target = out or base / "models" / name / version
    try:
        manifest = export_run(
            run_path,
            target,
            name=name,
            version=version,
            force=force,
            note=note,
            corpora_dir=corpora_dir,
            cache_dir=base / "corpora",
        )
    except (ExportError, CorpusError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    parity = manifest.training.get("parity_max_abs_diff")
    typer.echo(
        f"exported {manifest.name} {manifest.version} to {target} (parity max |Δ logits| {parity:.2e})"
    )


def export_rules(
    model_dir: Annotated[Path, typer.Argument(help="An exported model directory.")],
    data_dir: DataDirOption = None,
    corpora_dir: CorporaDirOption = None,
) -> None:
    """Re-derive an exported model's decoding rules (lexicon, endings, verse form) from its corpus."""
    from artifact.manifest import Manifest
    from training.corpora import CorpusError, load_corpus
    from training.decoding import refresh_rules

    try:
        manifest = Manifest.read(model_dir)
        cache = _data_dir(data_dir) / "corpora"
        source = load_corpus(manifest.corpus_source, corpora_dir=corpora_dir, cache_dir=cache)
        manifest = refresh_rules(model_dir, source)
    except (CorpusError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    typer.echo(f"{model_dir}: {manifest.decoding.model_dump(exclude_none=True)}")


def evaluate(
    model_or_run: Annotated[str, typer.Argument(help="An exported model directory, or a run (id or path).")],
    corpus: Annotated[
        str | None, typer.Option(help="Corpus to use instead of the one the model names.")
    ] = None,
    data_dir: DataDirOption = None,
    corpora_dir: CorporaDirOption = None,
) -> None:
    """Validation figures of an exported model (ONNX Runtime) or of a run's best checkpoint (PyTorch)."""
    from rich.console import Console

    from artifact.manifest import MANIFEST_FILE
    from training.corpora import CorpusError
    from training.reporting import summary_table

    base = _data_dir(data_dir)
    cache = base / "corpora"
    path = Path(model_or_run)
    try:
        if (path / MANIFEST_FILE).is_file():
            from training.evaluate_onnx import evaluate_model_dir

            figures = evaluate_model_dir(path, corpora_dir=corpora_dir, cache_dir=cache, corpus=corpus)
            title = f"{path} (ONNX Runtime)"
        else:
            run_path = _resolve_run(model_or_run, base)
            _require_torch()
            from training.evaluate import evaluate_run

            figures = evaluate_run(run_path, corpora_dir=corpora_dir, cache_dir=cache)
            title = f"{run_path} (PyTorch, best checkpoint)"
    except (CorpusError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    rows = {k: v for k, v in figures.items() if not isinstance(v, dict)}
    rows |= {f"novelty {k}": v for k, v in (figures.get("novelty") or {}).items()}
    Console().print(summary_table(title, rows))


def compare(
    corpus: Annotated[str, typer.Argument(help="A named corpus (timemachine, ...) or a UTF-8 text file.")],
    archs: Annotated[
        str, typer.Option(help="Comma-separated rnn | gru | lstm, a trailing number = layers (lstm2).")
    ] = "rnn,gru,lstm,lstm2",
    hidden: Annotated[int, typer.Option(min=1)] = 256,
    emb: Annotated[int, typer.Option(min=1, help="Embedding size.")] = _D.emb,
    dropout: Annotated[float, typer.Option(min=0.0, max=0.95)] = 0.0,
    steps: Annotated[int, typer.Option(min=1, help="Optimizer steps per architecture.")] = 1000,
    batch: Annotated[int, typer.Option(min=1)] = 32,
    seq_len: Annotated[int, typer.Option(min=1, help="TBPTT window.")] = 35,
    lr: Annotated[float, typer.Option(min=0.0)] = _D.lr,
    weight_decay: Annotated[float, typer.Option(min=0.0)] = _D.weight_decay,
    lowercase: Annotated[bool | None, typer.Option("--lowercase/--no-lowercase")] = None,
    seed: int = _D.seed,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads per run.")] = None,
    max_minutes_each: Annotated[
        float | None, typer.Option(min=0.0, help="Stop each run cleanly after this wall-clock time.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="One run dir per architecture, and the tables (default under runs/).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    data_dir: DataDirOption = None,
    corpora_dir: CorporaDirOption = None,
) -> None:
    """Train several architectures with one budget and tabulate their validation perplexity.

    Defaults follow d2l's Time Machine chapter: hidden 256, batch 32, 35-step windows, no dropout.
    """
    _require_torch()
    from datetime import UTC, datetime

    from rich.console import Console

    from training.compare import JSON_FILE, MARKDOWN_FILE, parse_archs, rich_table
    from training.compare import compare as run_compare
    from training.corpora import CorpusError
    from training.trainer import TrainingError

    base_dir = _data_dir(data_dir)
    try:
        chosen = parse_archs(archs)
        config = TrainConfig(
            corpus=str(Path(corpus).resolve()) if Path(corpus).is_file() else corpus,
            lowercase=lowercase,
            hidden=hidden,
            emb=emb,
            dropout=dropout,
            steps=steps,
            batch=batch,
            seq_len=seq_len,
            lr=lr,
            weight_decay=weight_decay,
            seed=seed,
        )
        config.validate()
    except ValueError as exc:
        fail(str(exc), code=2)
    stem = Path(corpus).stem
    target = out or base_dir / "runs" / f"compare-{stem}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    stop = _StopFlag()
    options = _run_options(base_dir, corpora_dir, device, threads, max_minutes_each, stop, quiet)

    def announce(index: int, arch: Any, run_dir: Path) -> None:
        typer.echo(f"[{index + 1}/{len(chosen)}] {arch.label}: {run_dir}", err=True)

    try:
        with stop.installed():
            rows = run_compare(config, chosen, target, options, on_start=announce)
    except (TrainingError, CorpusError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    Console().print(rich_table(f"{stem}: validation figures", config, rows))
    typer.echo(f"wrote {target / MARKDOWN_FILE} and {target / JSON_FILE}")
    if rows and rows[-1].stopped == "interrupted":
        typer.echo("interrupted; the same command with --out " + str(target) + " continues the comparison")
    if any(r.error for r in rows):
        raise typer.Exit(1)
