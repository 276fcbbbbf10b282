"""What the Tang rhyme and tone rules cost: a poem at batch 1 under the full rules, against the
form-only rules (the same model served without its prosody table, as before rhyme existed) and
against free sampling, in the same run, alternating so that a busy neighbour hits all three.

    .venv/bin/python bench/tang_rules.py [--poems 60] [--rounds 3]

Prints ms per poem for each and the ratio full / form-only, then one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artifact.manifest import Manifest  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.engine.api import GenerationRequest  # noqa: E402

TANG = ROOT / "exported_models" / "tang"
SEEDS = ("", "春风", "白日依山尽，", "")


def form_only_copy(target: Path) -> Path:
    """The shipped model without its prosody table: the rules keep shape and acrostics only."""
    directory = target / "tang"
    shutil.copytree(TANG, directory)
    manifest = Manifest.read(directory)
    manifest.decoding = manifest.decoding.model_copy(update={"prosody": None, "prosody_sha256": None})
    manifest.write(directory)
    return target


async def per_poem_ms(engine: Engine, poems: int) -> float:
    """Mean ms per poem, one request at a time (batch 1)."""
    start = time.perf_counter()
    for i in range(poems):
        await engine.generate(GenerationRequest("tang", SEEDS[i % len(SEEDS)], rng_seed=i, form="regulated"))
    return 1000 * (time.perf_counter() - start) / poems


async def run(poems: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        engines = {
            "rhyme+tone": Engine(TANG.parent, device="cpu", threads=1),
            "form only": Engine(form_only_copy(Path(tmp)), device="cpu", threads=1),
            "free": Engine(TANG.parent, device="cpu", threads=1, decoding_rules=False),
        }
        times: dict[str, list[float]] = {name: [] for name in engines}
        for engine in engines.values():
            await engine.start()
            await per_poem_ms(engine, 4)  # load and warm up
        for _ in range(rounds):
            for name, engine in engines.items():
                times[name].append(await per_poem_ms(engine, poems))
        for engine in engines.values():
            await engine.close()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--poems", type=int, default=60, help="poems per engine per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    medians = asyncio.run(run(args.poems, args.rounds))
    ratio = medians["rhyme+tone"] / medians["form only"]
    print(f"load average before: {load:.2f}")
    print("| rules | ms per poem (median of rounds) |\n|---|---:|")
    for name, ms in medians.items():
        print(f"| {name} | {ms:.1f} |")
    print(f"rhyme+tone / form only: {ratio:.2f}×")
    print(json.dumps({"load": load, "ms_per_poem": medians, "ratio": round(ratio, 3)}))


if __name__ == "__main__":
    main()
