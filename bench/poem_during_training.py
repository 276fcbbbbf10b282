"""/poem latency through the command core, with and without a retraining job running.

A real bot (engine, SQLite in a temporary data dir, its job worker) answers ``--requests``
``/poem`` commands — one after another, or ``--concurrency`` at a time — first with nothing else
running, then while a real ``/retrain`` job trains in its child process. Latency is from
``CommandCore.handle`` called to ``Reply`` returned. Prints a line per phase, then one JSON object.

    BARDLING_CORPORA_DIR=… .venv/bin/python bench/poem_during_training.py
    … --retrain "dinos steps:2000" --requests 20 --concurrency 20 --models-dir DIR --nice 0
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Bardling  # noqa: E402
from bot.config import BUNDLED_MODELS_DIR, Settings  # noqa: E402
from bot.core.types import Invocation, Notice  # noqa: E402
from bot.storage.models import TrainingJob  # noqa: E402

ADMIN = "admin"


class Quiet:
    async def notify(self, notice: Notice) -> None:
        return None


async def poems(app: Bardling, args: argparse.Namespace) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    pending = iter(range(args.requests))

    async def client(uid: int) -> None:
        for i in pending:
            inv = Invocation(
                "console", f"bench{uid}", "bench", f"bench{uid}", "poem", f"{args.seed} length:{args.length}"
            )
            start = time.perf_counter()
            reply = await app.core.handle(inv)
            latencies.append(time.perf_counter() - start)
            if reply.error:
                errors.append(f"#{i}: {reply.text}")

    start = time.perf_counter()
    await asyncio.gather(*(client(u) for u in range(args.concurrency)))
    wall = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "replies": len(latencies),
        "errors": errors[:1],
        **{f"p{q}_ms": round(cuts[q - 1] * 1000, 1) for q in (50, 90, 99)},
        "max_ms": round(max(latencies) * 1000, 1),
        "replies_per_s": round(len(latencies) / wall, 2),
    }


async def job(app: Bardling, job_id: int) -> TrainingJob:
    assert app.jobs is not None
    return await app.jobs.get(job_id)


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        bundled_models_dir=args.models_dir,
        database_url=None,
        admins=[f"console:{ADMIN}"],
        rate_limit_per_minute=1e9,
        rate_limit_burst=10**9,
        retrain_nice=args.nice,
        retrain_threads=args.threads,
    )
    async with Bardling(settings) as app:
        app.core.register_notifier("console", Quiet())  # job notices for the admin: not measured
        if not any(m.kind in ("verse", "prose") for m in app.engine.models()):
            raise SystemExit(f"no verse model under {args.models_dir} for /poem")
        await app.core.handle(Invocation("console", "warm", "warm", "warm", "poem", args.seed))  # load it
        idle = await poems(app, args)
        print(f"no job:     {idle}", flush=True)

        reply = await app.core.handle(Invocation("console", ADMIN, ADMIN, ADMIN, "retrain", args.retrain))
        if reply.error:
            raise SystemExit(reply.text)
        job_id = int(next(b.arg for b in reply.buttons if b.command == "job"))
        while True:  # until torch has loaded and training is under way
            row = await job(app, job_id)
            if row.metrics.get("step", 0) >= 1:
                break
            if row.state not in ("queued", "running"):
                raise SystemExit(f"job {row.state}: {row.message}")
            await asyncio.sleep(0.5)
        before = (await job(app, job_id)).metrics.get("step", 0)
        busy = await poems(app, args)
        row = await job(app, job_id)
        busy |= {"job_state_after": row.state, "training_steps_during": row.metrics.get("step", 0) - before}
        print(f"during job: {busy}", flush=True)
        await app.core.handle(Invocation("console", ADMIN, ADMIN, ADMIN, "cancel", str(job_id)))
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "length": args.length,
        "retrain": args.retrain,
        "nice": args.nice,
        "training_threads": args.threads,
        "without_job": idle,
        "with_job": busy,
        "cpu": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models-dir", type=Path, default=BUNDLED_MODELS_DIR)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=1, help="1: sequential requests")
    parser.add_argument("--length", type=int, default=200, help="tokens per poem")
    parser.add_argument("--seed", default="Forsooth this maketh")
    parser.add_argument("--retrain", default="dinos steps:5000", help="the /retrain arguments")
    parser.add_argument("--nice", type=int, default=Settings.model_fields["retrain_nice"].default)
    parser.add_argument("--threads", type=int, default=0, help="training threads; 0: the trainer's default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bardling-bench-") as tmp:
        print(json.dumps(asyncio.run(run(args, Path(tmp)))))


if __name__ == "__main__":
    main()
