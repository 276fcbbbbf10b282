"""A run's best checkpoint → ``model.onnx`` (one decoding step) + ``manifest.json`` + card.

Nothing is written unless ONNX Runtime reproduces PyTorch's logits: the export is built in a
temporary directory beside the target and renamed into place only after the parity check.
"""

from __future__ import annotations

import platform
import shutil
import tempfile
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn

from artifact.corpora import load_corpus
from artifact.manifest import (
    LOGITS_OUTPUT,
    ONNX_FILE,
    TOKENS_INPUT,
    Architecture,
    CorpusInfo,
    GenerationDefaults,
    Manifest,
    Metrics,
    OnnxInfo,
    StateTensor,
    sha256_file,
)
from artifact.sampling import defaults_of
from artifact.tokenizer import Tokenizer
from training import checkpoint
from training.card import write_card
from training.config import read_run_config
from training.decoding import derive_rules, write_rules
from training.evaluate import evaluate_run, read_summary
from training.evaluate_onnx import OnnxBackend
from training.generation import generation_defaults, model_kind
from training.models import RecurrentLM
from training.scoring import Backend, sample

OPSET = 18
PARITY_TOLERANCE = 1e-4
PARITY_STEPS = 50
PARITY_BATCHES = (1, 8)
SAMPLE_SEED = 7


_UNITS = {"char": "character", "line": "one-name-per-line character", "word": "word"}


def _unit(mode: str, kind: str) -> str:
    return "one-poem-per-line character" if mode == "line" and kind == "verse" else _UNITS[mode]


class ExportError(Exception):
    """The export was refused; nothing was written."""


class StepGraph(nn.Module):
    """One decoding step with the state as explicit inputs and outputs (the artifact contract).

    The head runs on the 2-D last step so it exports as one ``Gemm`` (``transB=1``) reading the
    weight as stored: a 3-D ``MatMul`` gets a transposed copy folded in, which would store a
    tied embedding twice.
    """

    def __init__(self, model: RecurrentLM) -> None:
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out, new_state = self.model.features(tokens, state)
        return (self.model.head(out[:, -1, :]), *new_state)


def default_version() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def write_onnx(model: RecurrentLM, path: Path) -> None:
    """Trace ``StepGraph`` with the TorchScript exporter (``dynamo=False``).

    Chosen because it maps ``nn.GRU``/``nn.LSTM``/``nn.RNN`` onto one ONNX ``GRU``/``LSTM``/``RNN``
    node with folded weights (Gather → GRU → Gemm); the dynamo exporter of torch 2.13 leaves a
    dozen Slice/Concat/Reshape nodes around the cell in the step graph.
    """
    model = model.eval()
    names = model.config.state_names
    example = (torch.zeros(2, 1, dtype=torch.long), *model.initial_state(2))
    axes = {TOKENS_INPUT: {0: "batch"}, LOGITS_OUTPUT: {0: "batch"}}
    axes |= {name: {1: "batch"} for pair in names for name in pair}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            StepGraph(model),
            example,
            str(path),
            input_names=[TOKENS_INPUT, *(i for i, _ in names)],
            output_names=[LOGITS_OUTPUT, *(o for _, o in names)],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )
    onnx.checker.check_model(str(path), full_check=True)


def parity_gap(model: RecurrentLM, backend: Backend, *, steps: int = PARITY_STEPS) -> float:
    """Largest |Δ logits| between PyTorch (whole sequence) and the backend (step by step)."""
    gen = torch.Generator().manual_seed(0)
    worst = 0.0
    for batch in PARITY_BATCHES:
        tokens = torch.randint(0, model.config.vocab_size, (batch, steps), generator=gen)
        with torch.inference_mode():
            expected, _ = model.eval()(tokens, model.initial_state(batch))
        state = backend.initial_state(batch)
        for t in range(steps):
            logits, state = backend.step(tokens[:, t].numpy(), state)
            worst = max(worst, float(np.abs(logits - expected[:, t].numpy()).max()))
    return worst


def make_samples(backend: Backend, tokenizer: Tokenizer, kind: str, gen: GenerationDefaults) -> list[str]:
    """A few outputs at the serving defaults, for the manifest and the card."""
    if tokenizer.mode == "line":  # names, or poems one a line: each from <s> to </s>
        assert tokenizer.bos_id is not None
        count = 12 if kind == "names" else 4
        prime, limit, stop = [tokenizer.bos_id], gen.max_tokens, tokenizer.eos_id
    else:
        prime, count, limit, stop = tokenizer.encode("\n").ids or [0], 3, min(gen.max_tokens, 300), None
    ids = sample(
        backend,
        prime,
        count=count,
        params=replace(defaults_of(gen), max_tokens=limit),
        rng=np.random.default_rng(SAMPLE_SEED),
        stop_id=stop,
        banned=tokenizer.never_sampled,
    )
    return [tokenizer.decode(s).strip() for s in ids]


def export_run(
    run_dir: Path,
    out_dir: Path,
    *,
    name: str,
    version: str | None = None,
    force: bool = False,
    corpora_dir: Path | None = None,
    cache_dir: Path | None = None,
    tolerance: float = PARITY_TOLERANCE,
    note: str = "",
) -> Manifest:
    """Export ``run_dir``'s best checkpoint to ``out_dir``; returns the manifest written there.

    ``note`` is a free sentence for the model card (how or why it was trained this way).
    """
    version = version or default_version()
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise ExportError(f"{out_dir} already exists and is not empty; pass --force to replace it")
    run_config = read_run_config(run_dir)
    model, tokenizer, best = checkpoint.load_model(checkpoint.checkpoint_path(run_dir, checkpoint.BEST))
    summary = read_summary(run_dir)
    if summary is None:  # an interrupted run: score the best checkpoint now
        cache = cache_dir or run_dir / "corpora"
        summary = {"metrics": evaluate_run(run_dir, corpora_dir=corpora_dir, cache_dir=cache)}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; an export is meant to be read by the bot
    try:
        onnx_path = staging / ONNX_FILE
        write_onnx(model, onnx_path)
        state = [
            StateTensor(input=i, output=o, layers=model.config.layers, hidden=model.config.hidden)
            for i, o in model.config.state_names
        ]
        backend = OnnxBackend(onnx_path, state)
        gap = parity_gap(model, backend)
        if not gap <= tolerance:
            raise ExportError(
                f"parity check failed: max |Δ logits| {gap:.2e} > {tolerance:.0e} between PyTorch and "
                "ONNX Runtime; nothing written"
            )
        extra = sorted(p.name for p in staging.iterdir() if p.name != ONNX_FILE)  # before the lexicon
        if extra:
            raise ExportError(f"the exporter wrote external data ({', '.join(extra)}); nothing written")
        manifest = _manifest(name, version, model, tokenizer, run_config, summary, best, onnx_path, gap)
        manifest.samples = make_samples(backend, tokenizer, manifest.kind, manifest.generation)
        cache = cache_dir or run_dir / "corpora"
        corpus = load_corpus(run_config["config"]["corpus"], corpora_dir=corpora_dir, cache_dir=cache)
        manifest.decoding = write_rules(staging, *derive_rules(tokenizer.mode, manifest.kind, corpus))
        manifest.write(staging)
        write_card(staging, manifest, run_dir.name, out_dir, note)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _manifest(
    name: str,
    version: str,
    model: RecurrentLM,
    tokenizer: Tokenizer,
    run_config: dict[str, Any],
    summary: dict[str, Any],
    best: dict[str, Any],
    onnx_path: Path,
    gap: float,
) -> Manifest:
    cfg = model.config
    settings = run_config["config"]
    mode = settings.get("mode") or tokenizer.mode
    kind = model_kind(mode, settings.get("corpus"))
    longest = int(run_config.get("data", {}).get("longest_line", 0))
    corpus = run_config["corpus"]
    state = [StateTensor(input=i, output=o, layers=cfg.layers, hidden=cfg.hidden) for i, o in cfg.state_names]
    return Manifest(
        name=name,
        version=version,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        kind=kind,
        description=(
            f"{cfg.cell.upper()} {cfg.layers}×{cfg.hidden} {_unit(mode, kind)} model of {corpus['name']}"
        ),
        architecture=Architecture(
            cell=cfg.cell,
            layers=cfg.layers,
            hidden=cfg.hidden,
            embedding=cfg.embedding,
            dropout=cfg.dropout,
            vocab_size=cfg.vocab_size,
            parameters=model.parameters_count,
        ),
        tokenizer=tokenizer.to_dict(),
        onnx=OnnxInfo(sha256=sha256_file(onnx_path), opset=OPSET, state=state),
        corpus=CorpusInfo(name=corpus["name"], sha256=corpus["sha256"], chars=corpus.get("chars")),
        metrics=Metrics.model_validate(summary["metrics"]),
        training={
            "config": settings,
            "best_step": best.get("step"),
            "parity_max_abs_diff": gap,
            "exporter": "torch.onnx.export (TorchScript, dynamo=False)",
        },
        generation=generation_defaults(mode, longest),
        libraries={
            "python": platform.python_version(),
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "numpy": np.__version__,
        },
    )


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename the finished export into place; a replaced export is removed only afterwards."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}-replaced")
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
    staging.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
