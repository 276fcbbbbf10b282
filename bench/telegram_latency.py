"""/poem reply latency through the Telegram transport, with many users at once.

Each of ``--users`` Telegram users sends ``/poem`` at the same moment to a real bot (the real
python-telegram-bot with its flood-limit pacing, the command core, the engine, SQLite in a
temporary data dir) that long-polls a fake Bot API server on 127.0.0.1. Latency is from the update
being queued on the fake server to the bot's ``sendMessage`` arriving there, so it includes
polling, Telegram's 30 messages/s pacing and the HTTP round trips. Prints a line of figures, then
one JSON object.

    .venv/bin/python bench/telegram_latency.py                    # the shipped models
    .venv/bin/python bench/telegram_latency.py --models-dir DIR   # any bundled-models directory
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Bardling  # noqa: E402
from bot.config import BUNDLED_MODELS_DIR, Settings  # noqa: E402
from bot.engine.session import Device  # noqa: E402
from bot.transports.telegram import TelegramTransport  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

FIRST_USER = 100_000


@asynccontextmanager
async def telegram_bot(
    data_dir: Path, models_dir: Path, device: Device, database_url: str | None = None
) -> AsyncIterator[FakeTelegram]:
    """A whole bot (no user rate limit) long-polling a fake Telegram; yields the fake."""
    async with FakeTelegram() as api:
        settings = Settings(
            data_dir=data_dir,
            bundled_models_dir=models_dir,
            database_url=database_url,
            rate_limit_per_minute=1e9,
            rate_limit_burst=10**9,
            device=device,
            retrain_worker=False,
            telegram_token=SecretStr(api.token),
            telegram_base_url=api.base_url,
        )
        async with Bardling(settings) as app:
            transport = TelegramTransport(app.core, settings)
            await transport.start()
            try:
                yield api
            finally:
                await transport.stop()


def latency_figures(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_s": round(cuts[49], 3), "p99_s": round(cuts[98], 3), "max_s": round(max(latencies), 3)}


def machine() -> str:
    return f"{platform.machine()} {platform.processor() or ''}".strip()


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
    async with telegram_bot(data_dir, args.models_dir, args.device) as api:
        users = range(FIRST_USER, FIRST_USER + args.users)
        sent_at = {}
        start = time.perf_counter()
        for uid in users:
            api.send_text(uid, f"/poem {args.seed}")
            sent_at[uid] = time.perf_counter()
        await api.wait_for(lambda _: all(api.sent(u) for u in users), within=args.timeout)
        wall = time.perf_counter() - start
    replies = {uid: api.sent(uid)[0] for uid in users}
    latencies = [replies[uid].at - sent_at[uid] for uid in users]
    return {
        "users": args.users,
        **latency_figures(latencies),
        "replies_per_s": round(args.users / wall, 1),
        "errors": sum(r.buttons() == [] for r in replies.values()),
        "models_dir": str(args.models_dir),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seed", default="Shall I compare thee")
    parser.add_argument("--models-dir", type=Path, default=BUNDLED_MODELS_DIR)
    parser.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bardling-bench-") as data_dir:
        result = asyncio.run(run(args, Path(data_dir)))
    print(
        f"{result['users']} concurrent Telegram users, /poem: p50 {result['p50_s']} s, "
        f"p99 {result['p99_s']} s, max {result['max_s']} s, {result['replies_per_s']} replies/s, "
        f"{result['errors']} without buttons"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
