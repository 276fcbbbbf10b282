"""Sustained load: N Telegram users, each sending a command again as soon as the last was answered.

A real bot (python-telegram-bot with its flood-limit pacing, the command core, the engine, and
PostgreSQL — a throw-away server started from the machine's PostgreSQL binaries, as the tests do)
long-polls a fake Bot API server on 127.0.0.1. Each simulated user is a closed loop: send, wait for
the reply, send again. Replies that arrive after ``--warmup`` seconds and before ``--duration``
count; the figures are sustained replies per second and the latency percentiles over those replies
(latency: update queued on the fake server → the bot's ``sendMessage`` arriving there). Every
reply stores a generation row, so the database is on the path of each one. Prints a line, then one
JSON object.

Telegram lets a bot send about 30 messages a second (python-telegram-bot's ``AIORateLimiter``
paces the bot to that), so with enough users the first figure is that limit. ``--overall-max-rate``
raises the pacing in this process only, to find what the bot and its database would sustain past
it (Telegram's paid broadcasts allow up to 1,000 a second).

    .venv/bin/python bench/load_telegram_pg.py                          # 50 users, 60 s, /poem
    .venv/bin/python bench/load_telegram_pg.py --users 200 --command "/dinoname"
    .venv/bin/python bench/load_telegram_pg.py --database sqlite        # the same on SQLite
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram_latency import FIRST_USER, latency_figures, machine, telegram_bot  # noqa: E402

from bot.config import BUNDLED_MODELS_DIR  # noqa: E402
from bot.transports import telegram  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.support import postgres  # noqa: E402

TELEGRAM_RATE = 30  # messages per second to different chats, and the pacing the bot applies


class Replies:
    """Per-chat arrival of the bot's messages, followed with one cursor over the fake's calls."""

    def __init__(self, api: FakeTelegram) -> None:
        self._api = api
        self._seen = 0
        self._arrived: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.at: dict[int, list[float]] = defaultdict(list)

    async def follow(self) -> None:
        while True:
            await self._api.wait_for(lambda calls: len(calls) > self._seen, within=3600)
            calls = self._api.calls
            for call in calls[self._seen :]:
                if call.method == "sendMessage" and call.chat_id is not None:
                    self.at[call.chat_id].append(call.at)
                    self._arrived[call.chat_id].set()
            self._seen = len(calls)

    async def next(self, chat_id: int) -> None:
        event = self._arrived[chat_id]
        await event.wait()
        event.clear()


async def user(api: FakeTelegram, replies: Replies, uid: int, command: str, until: float) -> list[float]:
    """Send, wait for the answer, repeat until ``until``; returns each command's send time."""
    sent: list[float] = []
    while time.perf_counter() < until:
        api.send_text(uid, command)
        sent.append(time.perf_counter())
        await replies.next(uid)
    return sent


async def measure(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> dict[str, object]:
    async with telegram_bot(data_dir, args.models_dir, args.device, database_url) as api:
        replies = Replies(api)
        following = asyncio.create_task(replies.follow())
        start = time.perf_counter()
        users = range(FIRST_USER, FIRST_USER + args.users)
        sends = await asyncio.gather(
            *(user(api, replies, uid, args.command, start + args.duration) for uid in users)
        )
        following.cancel()
    window = (start + args.warmup, start + args.duration)
    latencies = []
    for uid, sent in zip(users, sends, strict=True):
        for at_send, at_reply in zip(sent, replies.at[uid], strict=False):
            if window[0] <= at_reply < window[1]:
                latencies.append(at_reply - at_send)
    texts = [c for c in api.sent() if c.chat_id in set(users)]
    return {
        "users": args.users,
        "command": args.command,
        "database": "postgresql" if database_url else "sqlite",
        "overall_max_rate": args.overall_max_rate,
        "seconds_measured": args.duration - args.warmup,
        "replies_measured": len(latencies),
        "replies_per_s": round(len(latencies) / (args.duration - args.warmup), 1),
        **latency_figures(latencies),
        "replies_without_buttons": sum(c.buttons() == [] for c in texts),
        "models_dir": str(args.models_dir),
        "machine": machine(),
        "cores": os.cpu_count(),
        "load_average_before": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load in all")
    parser.add_argument("--warmup", type=float, default=10.0, help="first seconds not counted")
    parser.add_argument("--command", default="/poem Shall I compare thee")
    parser.add_argument("--models-dir", type=Path, default=BUNDLED_MODELS_DIR)
    parser.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--database", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--overall-max-rate", type=float, default=TELEGRAM_RATE, help="the bot's pacing, messages/s"
    )
    args = parser.parse_args()
    if args.overall_max_rate != TELEGRAM_RATE:
        telegram.AIORateLimiter = functools.partial(  # type: ignore[misc,assignment]
            telegram.AIORateLimiter, overall_max_rate=args.overall_max_rate
        )
    if not 0 <= args.warmup < args.duration:
        parser.error("--warmup must be at least 0 and less than --duration")
    server = None
    if args.database == "postgresql":
        if reason := postgres.unavailable_reason():
            parser.error(reason)
        server = postgres.start_server()
    try:
        url = asyncio.run(server.create_database()) if server else None
        with tempfile.TemporaryDirectory(prefix="bardling-load-") as data_dir:
            result = asyncio.run(measure(args, Path(data_dir), url))
    finally:
        if server is not None:
            server.stop()
    print(
        f"{result['users']} users, {result['command']!r} on {result['database']}, "
        f"paced at {result['overall_max_rate']}/s: "
        f"{result['replies_per_s']} replies/s sustained over {result['seconds_measured']} s, "
        f"p50 {result['p50_s']} s, p99 {result['p99_s']} s, max {result['max_s']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
