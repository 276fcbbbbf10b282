"""A bot whose retraining jobs run a stand-in trainer (``fake_trainer.py``), and what drives it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from artifact.manifest import Manifest
from bot.app import Bardling
from bot.config import Settings
from bot.core.args import split_command
from bot.core.types import Invocation, Notice, Reply
from bot.storage.models import FINAL_STATES, TrainingJob
from tests.support.tiny_models import make_tiny_models_dir

FAKE_TRAINER = Path(__file__).with_name("fake_trainer.py")
ADMIN = "4242"
CHAT = "chat-1"


def give_training_config(bundled: Path, name: str, config: dict[str, Any]) -> None:
    """Record how ``name`` was trained, as a real export does, so it can be retrained."""
    manifest = Manifest.read(bundled / name)
    manifest.training = {"config": config}
    manifest.write(bundled / name)


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    """Tiny ``shakespeare`` and ``dinos`` whose manifests name registered corpora."""
    root = make_tiny_models_dir(tmp_path / "bundled")
    give_training_config(root, "shakespeare", {"corpus": "shakespeare", "arch": "gru", "hidden": 16})
    give_training_config(root, "dinos", {"corpus": "dinos", "mode": "line", "hidden": 16})
    return root


@dataclass
class Notices:
    """A notifier that keeps what it is sent."""

    sent: list[Notice] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def notify(self, notice: Notice) -> None:
        self.sent.append(notice)
        self.arrived.set()


@dataclass
class JobBot:
    app: Bardling
    notices: Notices

    async def say(self, line: str, *, user: str = ADMIN, attachment: Path | None = None) -> Reply:
        parsed = split_command(line)
        assert parsed is not None, line
        command, args = parsed
        inv = Invocation("telegram", user, f"user {user}", CHAT, command, args, attachment=attachment)
        return await self.app.core.handle(inv)

    async def job(self, job_id: int) -> TrainingJob:
        assert self.app.jobs is not None
        return await self.app.jobs.get(job_id)

    async def wait(self, job_id: int, until: Callable[[TrainingJob], bool] | None = None) -> TrainingJob:
        """The job once ``until`` holds (default: it has ended); the suite's timeout guards a hang."""
        until = until or (lambda job: job.state in FINAL_STATES)
        while True:
            if until(job := await self.job(job_id)):
                return job
            await asyncio.sleep(0.02)

    async def told(self, job_id: int) -> Notice:
        """The closing notice of a job: sent once the worker is done with it (process gone)."""
        while True:
            self.notices.arrived.clear()
            done = [n for n in self.notices.sent if n.key is None and f"Job #{job_id}" in n.text]
            if done:
                return done[-1]
            await self.notices.arrived.wait()

    async def retrain(self, line: str, *, attachment: Path | None = None) -> int:
        reply = await self.say(line, attachment=attachment)
        assert not reply.error, reply.text
        return int(next(b.arg for b in reply.buttons if b.command == "job"))


OpenBot = Callable[..., AbstractAsyncContextManager[JobBot]]


def job_settings(data_dir: Path, bundled: Path, scenario: str = "ok", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "bundled_models_dir": bundled,
        "database_url": None,
        "admins": [f"telegram:{ADMIN}"],
        "rate_limit_per_minute": 600,
        "rate_limit_burst": 1000,
        "engine_threads": 1,
        "retrain_command": [sys.executable, str(FAKE_TRAINER), scenario, str(bundled)],
        "retrain_poll_s": 0.05,
        "models_poll_s": 0.05,
        "retrain_notice_every_s": 0.0,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def open_bot(tmp_path: Path, bundled: Path) -> OpenBot:
    """``async with open_bot("crash", run_jobs=True, **settings) as bot``: a bot on one shared data dir."""

    @asynccontextmanager
    async def opened(
        scenario: str = "ok", *, run_jobs: bool = True, **overrides: Any
    ) -> AsyncIterator[JobBot]:
        settings = job_settings(tmp_path / "data", bundled, scenario, **overrides)
        async with Bardling(settings, run_jobs=run_jobs) as app:
            notices = Notices()
            app.core.register_notifier("telegram", notices)
            yield JobBot(app, notices)

    return opened
