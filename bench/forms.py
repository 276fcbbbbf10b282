"""What a form costs: sonnets (and other forms) against the free-form poem, in one run.

For each K (lines sampled per line of the form that answers a rhyme) it times a sonnet at batch 1
(``--repeat`` poems, one at a time) and ``--concurrency`` sonnets submitted at once (``--rounds``
times: the median p99 is reported, with the range); the baseline, in the same run and
on the same model, is today's free-form poem of ``--chars`` symbols (the path generations stored
before forms replay on). What K buys is measured as the model's own negative log-probability
per character of the chosen lines (lower: likelier, more fluent text). Prints a Markdown table,
then one JSON object.

    .venv/bin/python bench/forms.py                          # K = 1, 2, 4; batch 1 and 64
    .venv/bin/python bench/forms.py --k 2 --form limerick --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import Engine  # noqa: E402
from bot.engine.api import GenerationRequest, SamplingParams  # noqa: E402

SEEDS = ("O gentle night", "Forsooth this maketh", "My lord,", "The crown", "Sweet rose", "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-dir", type=Path, default=ROOT / "exported_models")
    parser.add_argument("--model", default="shakespeare")
    parser.add_argument("--form", default="sonnet")
    parser.add_argument("--k", default="1,2,4", help="comma-separated candidate counts")
    parser.add_argument("--repeat", type=int, default=12, help="poems timed one at a time")
    parser.add_argument("--concurrency", type=int, default=64, help="poems submitted at once")
    parser.add_argument("--chars", type=int, default=400, help="symbols of the free-form baseline")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    parser.add_argument("--rounds", type=int, default=3, help="concurrent rounds (the median p99 is shown)")
    parser.add_argument("--max-batch", type=int, default=128, help="the engine's batch (as served)")
    args = parser.parse_args()
    report = asyncio.run(_run(args))
    print(
        f"| what | batch 1 p50 (ms) | {args.concurrency} at once p99 (s), median of {args.rounds} (range) "
        "| ratio to free p50 "
        "| model's nats/char of the chosen lines |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    base = report["free"]["p50_ms"]
    for name, row in report.items():
        nats = "" if row["nats_per_char"] is None else f"{row['nats_per_char']:.3f}"
        low, high = row["p99_s_range"]
        p99 = f"{row['p99_s']:.2f} ({low:.2f}–{high:.2f})"
        print(f"| {name} | {row['p50_ms']:.0f} | {p99} | {row['p50_ms'] / base:.2f} | {nats} |")
    print(json.dumps(report))


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {}
    free = SamplingParams(temperature=0.75, top_p=0.95, max_tokens=args.chars)
    for k in [0, *map(int, args.k.split(","))]:
        async with Engine(
            args.model_dir, None, threads=args.threads, line_candidates=max(1, k), max_batch=args.max_batch
        ) as engine:

            def request(i: int, k: int = k, engine: Engine = engine) -> GenerationRequest:
                seed = SEEDS[i % len(SEEDS)]
                if k == 0:
                    return GenerationRequest(args.model, seed, free, rng_seed=i)
                return GenerationRequest(args.model, seed, rng_seed=i, form=args.form)

            await engine.generate(request(10_000))  # load the model, fill the caches
            single, scores = [], []
            for i in range(args.repeat):
                start = time.perf_counter()
                result = await engine.generate(request(i))
                single.append(time.perf_counter() - start)
                scores.append(result.score)
            p99s = []
            for round_ in range(args.rounds):  # this machine's speed varies from run to run
                start = time.perf_counter()

                async def timed(i: int, start: float = start, base: int = 1000 * (round_ + 1)) -> float:
                    await engine.generate(request(base + i))
                    return time.perf_counter() - start

                together = sorted(await asyncio.gather(*(timed(i) for i in range(args.concurrency))))
                p99s.append(together[max(0, round(0.99 * len(together)) - 1)])
            name = "free" if k == 0 else f"{args.form} K={k}"
            report[name] = {
                "p50_ms": 1000 * statistics.median(single),
                "p99_s": statistics.median(p99s),
                "p99_s_range": [min(p99s), max(p99s)],
                "nats_per_char": None if k == 0 else -statistics.mean(s for s in scores if s is not None),
            }
    return report


if __name__ == "__main__":
    main()
