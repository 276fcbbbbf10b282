"""``bardling train``, ``bardling export`` and ``bardling evaluate``.

The bot's own commands must start without PyTorch, so this module imports nothing heavy at
import time: torch (and everything under ``training`` that needs it) loads inside the commands.
"""

from __future__ import annotations

import inspect
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, get_args, get_origin

import typer

from artifact import run_config
from artifact.paths import default_data_dir
from artifact.run_config import TrainConfig

if TYPE_CHECKING:
    from training.trainer import RunOptions

# d2l's Time Machine chapter; the other settings of a comparison default as for ``bardling train``
COMPARE_DEFAULTS = {"hidden": 256, "dropout": 0.0, "steps": 1000, "batch": 32, "seq_len": 35}
INSTALL_HINT = "PyTorch is not installed; install the training extra: pip install -e '.[train]'"

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="BARDLING_DATA_DIR", help="Runs, models and the corpus cache."),
]
CorporaDirOption = Annotated[
    Path | None,
    typer.Option("--corpora-dir", envvar="BARDLING_CORPORA_DIR", help="Verified local copies of corpora."),
]
DeviceOption = Annotated[
    str, typer.Option(help="cpu | cuda: where an exported model is scored (cuda for big models).")
]
JsonOutOption = Annotated[Path | None, typer.Option(help="Also write the figures to this JSON file.")]


def register(app: typer.Typer) -> None:
    """Add the training commands to ``app``."""
    app.command("train")(_with_settings(train))
    app.command("export")(export)
    app.command("export-rules")(export_rules)
    app.command("compare")(_with_settings(compare, defaults=COMPARE_DEFAULTS, leave_out=("arch", "layers")))


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
    tensorboard: Annotated[
        bool, typer.Option(help="Also write TensorBoard event files (needs the tensorboard package).")
    ] = False,
    data_dir: DataDirOption = None,
    corpora_dir: CorporaDirOption = None,
    **settings: Any,
) -> None:
    """Train a recurrent language model; the run (checkpoints, metrics.jsonl, loss.png) goes to a run dir."""
    _require_torch()
    from artifact.corpora import CorpusError
    from training.trainer import TrainingError, new_run_dir
    from training.trainer import train as run_training

    base = _data_dir(data_dir)
    stop = _StopFlag()
    options = _run_options(base, corpora_dir, device, threads, max_minutes, stop, quiet)
    if tensorboard:
        from training.tensorboard_log import tensorboard_missing

        missing = tensorboard_missing()
        if missing:
            typer.echo(f"note: {missing}", err=True)
        options.tensorboard = missing is None
    config: TrainConfig | None = None
    if resume is not None:
        target = _resolve_run(resume, base)
    else:
        if corpus is None:
            fail("give a CORPUS to train on, or --resume RUN", code=2)
        config = _config(corpus, settings)
        target = run_dir or new_run_dir(base / "runs", config)
    typer.echo(f"run: {target}", err=True)
    try:
        with stop.installed():
            summary = run_training(target, options, config)
    except (TrainingError, CorpusError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if summary.get("stopped") == "interrupted":
        typer.echo(f"stopped at step {summary['step']}; continue with: bardling train --resume {target}")
        return
    typer.echo(next_steps(target, config.corpus if config else None))


def next_steps(run: Path, corpus: str | None) -> str:
    """What to look at and what to run after a finished run: the plot, then the export command."""
    import shlex

    from artifact.run_metrics import LOSS_PLOT_FILE

    if corpus is None:  # a resumed run: its corpus is in its recorded configuration
        from training.config import read_run_config

        corpus = read_run_config(run)["config"].get("corpus")
    name = Path(corpus).stem if corpus else "NAME"
    return (
        f"loss curve: {run / LOSS_PLOT_FILE}\n"
        f"next: {shlex.join(['bardling', 'export', str(run), '--name', name])}"
        " (then: bardling evaluate <the exported directory>)"
    )


def _config(corpus: str, settings: dict[str, Any]) -> TrainConfig:
    """The run's configuration from the command line's settings, checked (exit status 2 if refused)."""
    source = str(Path(corpus).resolve()) if Path(corpus).is_file() else corpus
    try:
        config = TrainConfig(corpus=source, **settings)
        config.validate()
    except ValueError as exc:
        fail(str(exc), code=2)
    return config


def _with_settings(
    command: Callable[..., None], *, defaults: dict[str, Any] | None = None, leave_out: tuple[str, ...] = ()
) -> Callable[..., None]:
    """``command`` with one option per ``TrainConfig`` setting (its help; its default, or ``defaults``'),
    so a setting added to the config is an option here without another list to keep."""
    hints = run_config.types()
    own = inspect.signature(command, eval_str=True).parameters.values()
    generated = []
    for f, meta in run_config.settings():
        if f.name in leave_out:
            continue
        kind = _cli_type(hints[f.name])
        name = f.name.replace("_", "-")
        decls = [f"--{name}/--no-{name}"] if kind in (bool, bool | None) else []
        option = typer.Option(*decls, help=meta.help)
        default = (defaults or {}).get(f.name, run_config.default(f))
        generated.append(
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind, option], default=default
            )
        )
    kept = [p for p in own if p.kind != inspect.Parameter.VAR_KEYWORD]
    command.__signature__ = inspect.Signature([*kept, *generated])  # type: ignore[attr-defined]
    return command


def _cli_type(kind: Any) -> Any:
    """The type click parses: a ``Literal`` of words is text (``TrainConfig.validate`` checks the choice)."""
    args = get_args(kind)
    if get_origin(kind) is Literal:
        return str
    if type(None) in args and any(get_origin(a) is Literal for a in args):
        return str | None
    return kind


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
    from artifact.corpora import CorpusError
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
    from artifact.corpora import CorpusError, load_corpus
    from artifact.manifest import Manifest
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
    device: DeviceOption = "cpu",
    json_out: JsonOutOption = None,
) -> None:
    """Validation figures of an exported model (ONNX Runtime) or of a run's best checkpoint (PyTorch)."""
    from rich.console import Console

    from artifact.corpora import CorpusError
    from artifact.manifest import MANIFEST_FILE
    from training.reporting import summary_table

    base = _data_dir(data_dir)
    cache = base / "corpora"
    path = Path(model_or_run)
    try:
        if (path / MANIFEST_FILE).is_file():
            from training.evaluate_onnx import evaluate_model_dir

            figures = evaluate_model_dir(
                path, corpora_dir=corpora_dir, cache_dir=cache, corpus=corpus, device=device
            )
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
    if json_out is not None:
        write_json(json_out, {"held_out": figures})


def write_json(path: Path, figures: dict[str, Any]) -> None:
    """``--json-out``: the figures for programs (merged into the file when it already holds some)."""
    import json

    old = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    path.write_text(json.dumps(old | figures, indent=2, ensure_ascii=False) + "\n", "utf-8")


def compare(
    corpus: Annotated[str, typer.Argument(help="A named corpus (timemachine, ...) or a UTF-8 text file.")],
    archs: Annotated[
        str, typer.Option(help="Comma-separated rnn | gru | lstm, a trailing number = layers (lstm2).")
    ] = "rnn,gru,lstm,lstm2",
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
    **settings: Any,
) -> None:
    """Train several architectures with one budget and tabulate their validation perplexity.

    Defaults follow d2l's Time Machine chapter: hidden 256, batch 32, 35-step windows, no dropout.
    """
    _require_torch()
    from datetime import UTC, datetime

    from rich.console import Console

    from artifact.corpora import CorpusError
    from training.compare import JSON_FILE, MARKDOWN_FILE, parse_archs, rich_table
    from training.compare import compare as run_compare
    from training.trainer import TrainingError

    base_dir = _data_dir(data_dir)
    try:
        chosen = parse_archs(archs)
    except ValueError as exc:
        fail(str(exc), code=2)
    config = _config(corpus, settings)
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
