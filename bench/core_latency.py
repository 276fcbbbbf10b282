"""/poem reply latency through the whole command core, with many users at once.

Each of ``--users`` console users sends ``--rounds`` ``/poem`` commands one after another, all
users at the same time, through ``CommandCore.handle`` on a real bot: the engine with its
batching, SQLite storage (WAL, synchronous=FULL) in a temporary data dir, and the rate limit
raised out of the way. Latency is from ``handle`` called to ``Reply`` returned. Prints a line of
figures, then one JSON object.

    .venv/bin/python bench/core_latency.py                    # the shipped models
    .venv/bin/python bench/core_latency.py --models-dir DIR   # any bundled-models directory
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Bardling  # noqa: E402
from bot.config import BUNDLED_MODELS_DIR, Settings  # noqa: E402
from bot.core.types import Invocation  # noqa: E402


async def user(
    app: Bardling, uid: int, rounds: int, seed: str, latencies: list[float], errors: list[str]
) -> None:
    for _ in range(rounds):
        inv = Invocation("console", f"bench{uid}", f"bench {uid}", f"bench{uid}", "poem", seed)
        start = time.perf_counter()
        reply = await app.core.handle(inv)
        latencies.append(time.perf_counter() - start)
        if reply.error:
            errors.append(reply.text)


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
    settings = Settings(
        data_dir=data_dir,
        bundled_models_dir=args.models_dir,
        database_url=None,
        rate_limit_per_minute=1e9,
        rate_limit_burst=10**9,
        device=args.device,
    )
    async with Bardling(settings) as app:
        models = {m.name: m for m in app.engine.models()}
        if "shakespeare" not in models:
            raise SystemExit(f"no shakespeare model under {args.models_dir}")
        seed = args.seed + (f" length:{args.length}" if args.length else "")
        await user(app, -1, 1, seed, [], [])  # load the model before timing
        latencies: list[float] = []
        errors: list[str] = []
        start = time.perf_counter()
        await asyncio.gather(*(user(app, u, args.rounds, seed, latencies, errors) for u in range(args.users)))
        wall = time.perf_counter() - start
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        info = models["shakespeare"]
        provider = next((m.provider for m in app.engine.models() if m.name == "shakespeare"), None)
    return {
        "users": args.users,
        "rounds": args.rounds,
        "replies": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "p50_ms": round(cuts[49] * 1000, 1),
        "p90_ms": round(cuts[89] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "replies_per_s": round(len(latencies) / wall, 1),
        "model": f"shakespeare v{info.version}",
        "max_tokens": args.length or (info.defaults.max_tokens if info.defaults else None),
        "provider": provider,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models-dir", type=Path, default=BUNDLED_MODELS_DIR)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", default="Shall I compare thee")
    parser.add_argument("--length", type=int, default=0, help="tokens per poem (default: the model's)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bardling-bench-") as tmp:
        figures = asyncio.run(run(args, Path(tmp)))
    print(
        f"/poem via CommandCore, {figures['users']} concurrent users x {figures['rounds']}: "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms, "
        f"{figures['replies_per_s']} replies/s, {figures['errors']} errors "
        f"({figures['model']}, max_tokens {figures['max_tokens']}, {figures['provider']}, "
        f"{figures['cpus']} CPUs)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
