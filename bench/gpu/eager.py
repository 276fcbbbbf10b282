"""PyTorch eager generation on the same weights as an exported model: the baseline the engine must beat.

The weights are read back from ``model.onnx`` (embedding, the ONNX ``GRU``/``LSTM``/``RNN`` nodes,
the head) into ``training.models.RecurrentLM``, and the conversion is checked against ONNX
Runtime on the CPU before anything is timed. Generation is the plain loop a PyTorch user would
write: one ``model(tokens, state)`` per step for the whole batch, temperature sampling with
``torch.multinomial`` on the device, 400 characters per poem. ``--random-hidden H`` first writes a
random GRU-H model (vocabulary 65, embedding 256) to ``--model-dir``. Writes one JSON object.

    python bench/gpu/eager.py --model-dir exported_models/shakespeare --device cuda --out OUT/eager.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from artifact.manifest import TOKENS_INPUT, Manifest  # noqa: E402
from training.evaluate_onnx import OnnxBackend  # noqa: E402
from training.models import ModelConfig, RecurrentLM  # noqa: E402

SHAKESPEARE_SYMBOLS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # 65
PARITY_TOLERANCE = 1e-3
# ONNX gate order → PyTorch gate order, as slices of the stacked gate matrices
_GATES = {"GRU": [1, 0, 2], "LSTM": [0, 2, 3, 1], "RNN": [0]}  # GRU z,r,h → r,z,n; LSTM i,o,f,c → i,f,g,o


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--random-hidden", type=int, help="write a random GRU of this size there first")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    parser.add_argument("--batches", default="1,64,256", help="comma-separated batch sizes")
    parser.add_argument("--chars", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3, help="timed poems per batch size (median kept)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.random_hidden:
        write_random_gru(args.model_dir, args.random_hidden)
    model, manifest = load_onnx_weights(args.model_dir)
    gap = parity_gap(model, args.model_dir, manifest)
    if not gap <= PARITY_TOLERANCE:
        sys.exit(f"the weights read back from ONNX disagree with ONNX Runtime (max |Δ logits| {gap:.2e})")
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # the smoke run on a shared CPU: one thread is the steadiest
    rows = [
        generate(model.to(device), int(b), args.chars, args.repeats, device) for b in args.batches.split(",")
    ]
    report = {
        "model": f"{manifest.name} v{manifest.version}",
        "architecture": manifest.architecture.model_dump(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "parity_max_abs_diff": gap,
        "chars": args.chars,
        "rows": rows,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps(report))


def write_random_gru(directory: Path, hidden: int) -> None:
    """The random GRU that ``bench/generate.py --random-hidden`` measures, kept on disk for both."""
    from tests.support.tiny_models import make_tiny_model

    if not (directory / "manifest.json").is_file():
        make_tiny_model(
            directory, name=directory.name, vocab=SHAKESPEARE_SYMBOLS, hidden=hidden, embedding=256
        )


def load_onnx_weights(model_dir: Path) -> tuple[RecurrentLM, Manifest]:
    """A ``RecurrentLM`` holding exactly the weights of ``model_dir``'s step graph."""
    manifest = Manifest.read(model_dir)
    graph = onnx.load(str(model_dir / manifest.onnx.file)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    embed = next(
        inits[n.input[0]] for n in graph.node if n.op_type == "Gather" and n.input[1] == TOKENS_INPUT
    )
    cells = [n for n in graph.node if n.op_type in _GATES]
    arch = manifest.architecture
    config = ModelConfig(arch.cell, arch.vocab_size, embed.shape[1], arch.hidden, len(cells), 0.0)
    model = RecurrentLM(config)
    weights: dict[str, torch.Tensor] = {"embed.weight": torch.from_numpy(embed.copy())}
    for layer, node in enumerate(cells):
        order = _GATES[node.op_type]
        w, r, b = (inits[name][0] for name in node.input[1:4])
        half = len(b) // 2
        weights[f"rnn.weight_ih_l{layer}"] = _reorder(w, order)
        weights[f"rnn.weight_hh_l{layer}"] = _reorder(r, order)
        weights[f"rnn.bias_ih_l{layer}"] = _reorder(b[:half], order)
        weights[f"rnn.bias_hh_l{layer}"] = _reorder(b[half:], order)
    weights["head.weight"], weights["head.bias"] = _head(graph, inits)
    model.load_state_dict(weights)
    return model.eval(), manifest


def _reorder(matrix: np.ndarray, order: list[int]) -> torch.Tensor:
    gates = np.split(matrix, len(order), axis=0)
    return torch.from_numpy(np.concatenate([gates[i] for i in order], axis=0).copy())


def _head(graph: onnx.GraphProto, inits: dict[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """The output layer: a ``Gemm`` (training's exporter) or ``MatMul`` + ``Add`` (a hand-built graph)."""
    for node in graph.node:
        if node.op_type == "Gemm" and node.input[1] in inits:
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            weight = inits[node.input[1]]
            return torch.from_numpy((weight if trans_b else weight.T).copy()), torch.from_numpy(
                inits[node.input[2]].copy()
            )
    matmul = next(n for n in graph.node if n.op_type == "MatMul" and n.input[1] in inits)
    add = next(n for n in graph.node if n.op_type == "Add" and matmul.output[0] in n.input)
    bias = next(inits[name] for name in add.input if name in inits)
    return torch.from_numpy(inits[matmul.input[1]].T.copy()), torch.from_numpy(bias.copy())


def parity_gap(model: RecurrentLM, model_dir: Path, manifest: Manifest, steps: int = 20) -> float:
    """Largest |Δ logits| between the converted model and ONNX Runtime (CPU), step by step, batch 2."""
    backend = OnnxBackend(model_dir / manifest.onnx.file, manifest.onnx.state)
    tokens = np.random.default_rng(0).integers(0, manifest.architecture.vocab_size, (2, steps))
    state = backend.initial_state(2)
    torch_state = model.initial_state(2)
    worst = 0.0
    with torch.inference_mode():
        for t in range(steps):
            expected, state = backend.step(tokens[:, t], state)
            logits, torch_state = model(torch.from_numpy(tokens[:, t : t + 1]), torch_state)
            worst = max(worst, float(np.abs(logits[:, 0].numpy() - expected).max()))
    return worst


def generate(
    model: RecurrentLM, batch: int, chars: int, repeats: int, device: torch.device
) -> dict[str, Any]:
    """``repeats`` timed batches of ``batch`` poems of ``chars`` symbols (after one warm-up batch)."""
    generator = torch.Generator(device).manual_seed(0)
    times = []
    with torch.inference_mode():
        for attempt in range(repeats + 1):
            tokens = torch.zeros((batch, 1), dtype=torch.long, device=device)
            state = model.initial_state(batch, device)
            _sync(device)
            started = time.perf_counter()
            for _ in range(chars):
                logits, state = model(tokens, state)
                probs = torch.softmax(logits[:, -1] / 0.8, dim=-1)
                tokens = torch.multinomial(probs, 1, generator=generator)
            tokens.cpu()  # the text has to reach the host
            _sync(device)
            if attempt:
                times.append(time.perf_counter() - started)
    wall = statistics.median(times)
    return {
        "batch": batch,
        "latency_ms": round(1000 * wall, 2),
        "chars_per_s": round(batch * chars / wall, 1),
        "step_us": round(1e6 * wall / chars, 1),
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


if __name__ == "__main__":
    main()
