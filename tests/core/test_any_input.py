"""Whatever anyone types, the core answers with a reply — never raises, never hits its bug path.

At least 10,000 generated command lines go through ``CommandCore.handle``.

Lines mix real command names with garbage, and arguments with numbers in and out of range,
``name:value`` pairs, emoji, CJK, control characters, markup and very long text. Generation is
made cheap (tiny models, a few tokens) and rate-limited as in production, so the run stays fast.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact.manifest import GenerationDefaults
from bot.app import Bardling
from bot.config import Settings
from bot.core.args import split_command
from bot.core.core import INTERNAL_ERROR
from bot.core.types import Invocation, Reply
from tests.support.tiny_models import make_tiny_model

SIDE = 10  # each example: SIDE command names x SIDE argument strings = 100 lines
EXAMPLES = 105
COMMANDS = [
    "poem", "dinoname", "again", "replay", "fav", "favs", "unfav", "history", "show", "models",
    "forget", "help", "start", "x", "", "POEM", "poem@bot", "admin", "settings", "privacy", "chat",
    "card", "activate", "jobs", "rollback", "retrain",
]  # fmt: skip
PARAMS = [
    "count", "prefix", "model", "temperature", "length", "id", "page", "confirm", "seed", "nope",
    "form", "chars", "acrostic", "who", "cooldown", "disable", "enable", "reset", "top_k",
]  # fmt: skip

numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "1", "5", "20", "21", "1e309", "-0", "0x10", "1_000", "٣"]),
)
words = st.one_of(
    numbers,
    st.text(max_size=12),
    st.sampled_from(
        [
            *("shakespeare", "dinos", "confirm", "😀", "你好", "@everyone", "*b*", "<i>", "\x00", "\u202e"),
            *("sonnet", "haiku", "jueju", "regulated", "\ud800", "form:limerick", "春夏秋冬", "reset"),
        ]
    ),
    st.builds(lambda k, v: f"{k}:{v}", st.sampled_from(PARAMS), numbers | st.text(max_size=6)),
)
args = st.one_of(
    st.lists(words, max_size=6).map(" ".join),
    st.text(max_size=40),
    st.just("x" * 600),
)
names = st.sampled_from(COMMANDS) | st.text(max_size=8)


def test_every_line_gets_a_reply(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    models = tmp_path / "models"
    make_tiny_model(models / "shakespeare", "shakespeare", generation=GenerationDefaults(max_tokens=8))
    make_tiny_model(models / "dinos", "dinos", mode="line", generation=GenerationDefaults(max_tokens=8))
    config = Settings(data_dir=tmp_path / "data", bundled_models_dir=models, admins=[], engine_threads=1)
    answered = 0

    with asyncio.Runner() as runner:
        app = Bardling(config)
        runner.run(app.__aenter__())
        try:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(
                commands=st.lists(names, min_size=SIDE, max_size=SIDE),
                arguments=st.lists(args, min_size=SIDE, max_size=SIDE),
            )
            def check(commands: list[str], arguments: list[str]) -> None:
                nonlocal answered
                lines = [f"/{c} {a}" for c in commands for a in arguments]
                batch = [(str(i % 4), line) for i, line in enumerate(lines)]
                replies = runner.run(send_all(app, batch))
                for line, reply in zip(lines, replies, strict=True):
                    assert isinstance(reply, Reply) and reply.text.strip()
                    assert reply.text != INTERNAL_ERROR, f"{line!r} hit a bug (see the log)"
                answered += len(replies)

            check()
        finally:
            runner.run(app.__aexit__(None, None, None))
    assert answered >= 10_000
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not tracebacks, tracebacks[0].getMessage()


async def send_all(app: Bardling, batch: list[tuple[str, str]]) -> list[Reply]:
    return await asyncio.gather(*(send(app, user, line) for user, line in batch))


async def send(app: Bardling, user: str, line: str) -> Reply:
    parsed = split_command(line)
    command, rest = parsed if parsed is not None else ("", line)
    return await app.core.handle(Invocation("telegram", user, f"user {user}", f"chat{user}", command, rest))
