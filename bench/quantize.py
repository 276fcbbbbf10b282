"""ONNX Runtime int8 dynamic quantization of a shipped step graph: loss, speed, batch invariance.

Quantizes ``model.onnx`` with ``onnxruntime.quantization.quantize_dynamic`` (int8 weights), then
measures both graphs the same way: validation loss with ``training.evaluate_onnx`` (the same
split and code as the manifest's figure), the time of one step at batch 1 and 64, and whether a
row's logits stay the same when it shares the batch with others (the engine's reproducibility
guarantee needs that). Prints a table and one JSON object.

With ``--write DIR`` the int8 graph is written as a complete exported model (``<name>-int8``)
only if the loss rises by at most ``--max-rise`` nats and rows stay batch-invariant.

    BARDLING_CORPORA_DIR=... .venv/bin/python bench/quantize.py [--model-dir exported_models/shakespeare]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artifact.manifest import ONNX_FILE, Manifest, sha256_file  # noqa: E402
from training.evaluate_onnx import OnnxBackend, evaluate_model_dir  # noqa: E402

MAX_RISE = 0.02  # nats per token


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-dir", type=Path, default=ROOT / "exported_models" / "shakespeare")
    parser.add_argument("--max-rise", type=float, default=MAX_RISE)
    parser.add_argument("--per-channel", action="store_true", help="per-channel weight scales")
    parser.add_argument("--skip-loss", action="store_true", help="speed and invariance only")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--write", type=Path, help="bundled-models directory to write <name>-int8 into")
    args = parser.parse_args()

    manifest = Manifest.read(args.model_dir)
    fp32 = args.model_dir / manifest.onnx.file
    with tempfile.TemporaryDirectory() as scratch:
        int8 = Path(scratch) / ONNX_FILE
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=args.per_channel)
        report: dict[str, Any] = {
            "model": f"{manifest.name} v{manifest.version}",
            "threshold_nats": args.max_rise,
        }
        graphs = {"fp32": fp32, "int8": int8}
        times = _step_times(graphs, manifest, args.threads)
        for label, path in graphs.items():
            report[label] = {
                "bytes": path.stat().st_size,
                **times[label],
                "batch_invariant": _batch_invariant(path, manifest),
            }
            if not args.skip_loss:
                report[label]["val_loss"] = _val_loss(args.model_dir, path)
        if not args.skip_loss:
            rise = report["int8"]["val_loss"] - report["fp32"]["val_loss"]
            report["loss_rise_nats"] = round(rise, 4)
            report["ship"] = rise <= args.max_rise and report["int8"]["batch_invariant"]
            if args.write and report["ship"]:
                report["written"] = str(_write_variant(args.model_dir, manifest, int8, args.write, report))
    _print_table(report)
    print(json.dumps(report))


def _val_loss(model_dir: Path, onnx_path: Path) -> float:
    corpora = os.environ.get("BARDLING_CORPORA_DIR")
    if not corpora:
        sys.exit("BARDLING_CORPORA_DIR is not set: the validation loss needs the verified corpora")
    cache = Path(tempfile.gettempdir()) / "bardling-bench-cache"
    figures = evaluate_model_dir(model_dir, corpora_dir=Path(corpora), cache_dir=cache, onnx_path=onnx_path)
    return float(figures["val_loss"])


def _step_times(
    graphs: dict[str, Path], manifest: Manifest, threads: int, repeats: int = 7
) -> dict[str, Any]:
    """Median ms per step; the graphs take turns, so load from other work hits both alike."""
    backends = {
        label: OnnxBackend(path, manifest.onnx.state, threads=threads) for label, path in graphs.items()
    }
    samples: dict[str, dict[int, list[float]]] = {label: {1: [], 64: []} for label in graphs}
    for _ in range(repeats):
        for label, backend in backends.items():
            for batch, steps in ((1, 200), (64, 20)):
                state = backend.initial_state(batch)
                tokens = np.zeros(batch, np.int64)
                _, state = backend.step(tokens, state)
                started = time.perf_counter()
                for _ in range(steps):
                    _, state = backend.step(tokens, state)
                samples[label][batch].append(1000 * (time.perf_counter() - started) / steps)
    return {
        label: {f"step_ms_batch{b}": round(float(np.median(v)), 3) for b, v in by_batch.items()}
        for label, by_batch in samples.items()
    }


def _batch_invariant(path: Path, manifest: Manifest, rows: int = 16) -> bool:
    """Do a row's logits stay bit-identical alone and among ``rows`` others (after a few steps)?"""
    backend = OnnxBackend(path, manifest.onnx.state, threads=1)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, manifest.architecture.vocab_size, (8, rows))
    batched_state = backend.initial_state(rows)
    alone_states = [backend.initial_state(1) for _ in range(rows)]
    for t in range(len(tokens)):
        batched, batched_state = backend.step(tokens[t], batched_state)
        for r in range(rows):
            alone, alone_states[r] = backend.step(tokens[t, r : r + 1], alone_states[r])
            if not np.array_equal(alone[0], batched[r]):
                return False
    return True


def _write_variant(
    model_dir: Path, manifest: Manifest, int8: Path, bundled: Path, report: dict[str, Any]
) -> Path:
    name = f"{manifest.name}-int8"
    target = bundled / name
    target.mkdir(parents=True, exist_ok=True)
    (target / ONNX_FILE).write_bytes(int8.read_bytes())
    variant = manifest.model_copy(deep=True)
    variant.name = name
    variant.description = (
        f"{manifest.description} — int8 dynamic quantization of {manifest.name} v{manifest.version}"
    )
    variant.onnx.sha256 = sha256_file(target / ONNX_FILE)
    variant.onnx.dtype = "int8"
    variant.metrics.val_loss = report["int8"]["val_loss"]
    variant.write(target)
    return target


def _print_table(report: dict[str, Any]) -> None:
    print(f"{report['model']}: ONNX Runtime {ort.__version__} dynamic int8 quantization")
    print("| graph | MB | val loss (nats) | step ms, batch 1 | step ms, batch 64 | batch-invariant |")
    print("|---|---:|---:|---:|---:|---|")
    for label in ("fp32", "int8"):
        row = report[label]
        loss = f"{row['val_loss']:.4f}" if "val_loss" in row else "—"
        invariant = "yes" if row["batch_invariant"] else "no"
        cells = [
            label,
            f"{row['bytes'] / 1e6:.1f}",
            loss,
            row["step_ms_batch1"],
            row["step_ms_batch64"],
            invariant,
        ]
        print("| " + " | ".join(map(str, cells)) + " |")
    if "loss_rise_nats" in report:
        print(
            f"loss rise {report['loss_rise_nats']:+.4f} nats → {'ship' if report['ship'] else 'do not ship'}"
        )


if __name__ == "__main__":
    main()
