"""Generation throughput and latency: the engine's continuous batching against a naive loop.

For each concurrency level, that many clients ask the engine for a poem of ``--chars`` symbols,
back to back, until ``--requests`` poems are done (at least one per client). The naive baseline,
in the same run and on the same model, is one ``session.run`` per step and one request at a time,
with the same host-side sampling. Prints a Markdown table, then one JSON object.

    .venv/bin/python bench/generate.py                       # the shipped shakespeare model
    .venv/bin/python bench/generate.py --model-dir DIR       # any exported model directory
    .venv/bin/python bench/generate.py --random-hidden 1024  # a random GRU of that size instead
    .venv/bin/python bench/generate.py --rules               # with the served decoding rules
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artifact.manifest import LOGITS_OUTPUT, ONNX_FILE, TOKENS_INPUT, Manifest  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.engine.api import GenerationRequest, SamplingParams  # noqa: E402
from bot.engine.prompt import encode_prompt  # noqa: E402
from bot.engine.sampling import sample_one  # noqa: E402
from bot.engine.sequence import Vocabulary  # noqa: E402
from bot.engine.session import default_threads, machine_threads, open_step_session  # noqa: E402

SHIPPED = ROOT / "exported_models" / "shakespeare"
SHAKESPEARE_SYMBOLS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # 65


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model-dir", type=Path, help="an exported model directory (default: shipped shakespeare)"
    )
    parser.add_argument(
        "--random-hidden",
        type=int,
        help="a random GRU of this size instead (used anyway, 1024, when none is shipped)",
    )
    parser.add_argument("--concurrency", default="1,8,64,256", help="comma-separated client counts")
    parser.add_argument("--chars", type=int, default=400, help="symbols per poem")
    parser.add_argument("--requests", type=int, default=32, help="poems per concurrency level (at least)")
    parser.add_argument("--naive-requests", type=int, default=10)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: the engine's default)")
    parser.add_argument("--cuda-graph", action="store_true", help="capture the step as a CUDA graph")
    parser.add_argument(
        "--rules",
        action="store_true",
        help="sample under the manifest's decoding rules (as served); poem lengths then vary",
    )
    args = parser.parse_args()

    levels = [int(c) for c in args.concurrency.split(",")]
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    with tempfile.TemporaryDirectory() as scratch:
        model_dir, described = _model(args, Path(scratch))
        manifest = Manifest.read(model_dir)
        naive = _naive(model_dir, manifest, args)
        rows = asyncio.run(_engine_levels(model_dir, manifest, levels, args))
    for row in rows:
        row["speedup_vs_naive"] = round(row["chars_per_s"] / naive["chars_per_s"], 2)
    report = {
        "date": dt.date.today().isoformat(),
        "hardware": _hardware(),
        "load_average_1m": load_before,
        "model": described,
        "device": rows[0]["provider"] if rows else None,
        "threads": args.threads or default_threads(),
        "chars": args.chars,
        "decoding_rules": args.rules,
        "naive": naive,
        "engine": rows,
        "onnxruntime": ort.__version__,
    }
    _print_table(report)
    print(json.dumps(report))


def _model(args: argparse.Namespace, scratch: Path) -> tuple[Path, str]:
    if args.model_dir is not None:
        return args.model_dir, _describe(Manifest.read(args.model_dir), args.model_dir)
    if (SHIPPED / ONNX_FILE).exists() and args.random_hidden is None:
        return SHIPPED, _describe(Manifest.read(SHIPPED), SHIPPED)
    from tests.support.tiny_models import make_tiny_model  # a random stand-in, same graph contract

    hidden = args.random_hidden or 1024
    directory = make_tiny_model(
        scratch / "random", name="random", vocab=SHAKESPEARE_SYMBOLS, hidden=hidden, embedding=256
    )
    return directory, f"random GRU-{hidden} (vocab 65, embedding 256)"


def _describe(manifest: Manifest, directory: Path) -> str:
    a = manifest.architecture
    return (
        f"{manifest.name} v{manifest.version} ({directory.name}): {a.layers}x{a.cell.upper()}-{a.hidden}, "
        f"vocab {a.vocab_size}, {a.parameters / 1e6:.2f} M parameters, {manifest.onnx.dtype}"
    )


def _params(chars: int) -> SamplingParams:
    return SamplingParams(temperature=0.8, top_p=0.95, max_tokens=chars, max_lines=None)


def _naive(model_dir: Path, manifest: Manifest, args: argparse.Namespace) -> dict[str, Any]:
    """One ``session.run`` per step, one request at a time; the time split shows where it goes."""
    step = open_step_session(model_dir / manifest.onnx.file, manifest, args.device, args.threads)
    vocabulary = Vocabulary.of(manifest.build_tokenizer())
    prompt = encode_prompt(vocabulary.tokenizer, "", 0).ids
    params = _params(args.chars)
    outputs = [LOGITS_OUTPUT, *step.state_outputs]
    latencies, run_s, sample_s = [], 0.0, 0.0
    for seed in range(-1, args.naive_requests):  # the first is a warm-up
        rng = np.random.Generator(np.random.PCG64(max(seed, 0)))
        started = time.perf_counter()
        states = [np.zeros((layers, 1, hidden), np.float32) for layers, hidden in step.state_shapes]
        token, produced = prompt[0], 0
        while produced < params.max_tokens:
            t0 = time.perf_counter()
            feeds = {
                TOKENS_INPUT: np.array([[token]], np.int64),
                **dict(zip(step.state_inputs, states, strict=True)),
            }
            logits, *states = step.session.run(outputs, feeds)
            t1 = time.perf_counter()
            token = sample_one(
                logits[0], params.temperature, 0, params.top_p or 1.0, float(rng.random()), vocabulary.mask
            )
            produced += 1
            if seed >= 0:
                run_s += t1 - t0
                sample_s += time.perf_counter() - t1
        if seed >= 0:
            latencies.append(time.perf_counter() - started)
    total = sum(latencies)
    return {
        "provider": step.provider,
        "requests": len(latencies),
        "latency_p50_ms": round(1000 * statistics.median(latencies), 2),
        "chars_per_s": round(args.chars * len(latencies) / total, 1),
        "session_run_share": round(run_s / total, 3),
        "sampling_share": round(sample_s / total, 3),
        "session_run_us_per_step": round(1e6 * run_s / (args.chars * len(latencies)), 1),
    }


async def _engine_levels(
    model_dir: Path, manifest: Manifest, levels: list[int], args: argparse.Namespace
) -> list[dict[str, Any]]:
    bundled = model_dir.parent
    rows = []
    async with Engine(
        bundled,
        None,
        device=args.device,
        threads=args.threads,
        max_batch=max(levels),
        max_queue=max(levels),
        cuda_graph=args.cuda_graph,
        decoding_rules=args.rules,
    ) as engine:
        await _run_level(engine, manifest.name, 1, 2, args.chars, args.rules)  # load and warm up
        loaded = next(m for m in engine.models() if m.name == manifest.name)
        for clients in levels:
            per_client = max(1, -(-args.requests // clients))
            started = time.perf_counter()
            done = await _run_level(engine, manifest.name, clients, per_client, args.chars, args.rules)
            wall = time.perf_counter() - started
            latencies = sorted(latency for latency, _ in done)
            chars = sum(tokens for _, tokens in done)
            rows.append(
                {
                    "concurrency": clients,
                    "requests": len(latencies),
                    "provider": loaded.provider or "?",
                    "chars_per_s": round(chars / wall, 1),
                    "mean_chars": round(chars / len(done), 1),
                    "latency_p50_ms": round(1000 * _percentile(latencies, 50), 2),
                    "latency_p99_ms": round(1000 * _percentile(latencies, 99), 2),
                    "wall_s": round(wall, 3),
                }
            )
    return rows


async def _run_level(
    engine: Engine, name: str, clients: int, per_client: int, chars: int, rules: bool
) -> list[tuple[float, int]]:
    """(latency, characters) per poem; without rules every poem has exactly ``chars``."""
    done: list[tuple[float, int]] = []

    async def client(index: int) -> None:
        for k in range(per_client):
            started = time.perf_counter()
            result = await engine.generate(
                GenerationRequest(name, "", _params(chars), rng_seed=index * per_client + k)
            )
            assert rules or result.tokens == chars, "a poem ended early: without --rules lengths are fixed"
            done.append((time.perf_counter() - started, result.tokens))

    await asyncio.gather(*(client(i) for i in range(clients)))
    return done


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q, method="higher"))


def _hardware() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {machine_threads()} cores usable"


def _print_table(report: dict[str, Any]) -> None:
    naive = report["naive"]
    print(
        f"{report['date']} · {report['hardware']} · {report['device']} · {report['threads']} threads · "
        f"load average before the run {report['load_average_1m']}"
    )
    rules = "decoding rules on (lengths vary)" if report["decoding_rules"] else "no decoding rules"
    print(f"model: {report['model']} · {report['chars']} chars per poem · {rules}")
    run_share, sampling_share = 100 * naive["session_run_share"], 100 * naive["sampling_share"]
    print(
        f"naive loop (1 request, 1 run per step): {naive['latency_p50_ms']} ms per poem, "
        f"{naive['chars_per_s']} chars/s; session.run {naive['session_run_us_per_step']} µs/step "
        f"({run_share:.0f}% of the time), sampling {sampling_share:.0f}%"
    )
    print()
    print("| concurrent | requests | chars/s | p50 latency (ms) | p99 latency (ms) | × naive |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in report["engine"]:
        cells = [
            row["concurrency"],
            row["requests"],
            f"{row['chars_per_s']:,.0f}",
            f"{row['latency_p50_ms']:.1f}",
            f"{row['latency_p99_ms']:.1f}",
            row["speedup_vs_naive"],
        ]
        print("| " + " | ".join(map(str, cells)) + " |")
    print()


if __name__ == "__main__":
    main()
