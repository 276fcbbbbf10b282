"""The running bot as one object: settings → data dir, database (migrated), engine, command core.

Every entry point (``bardling chat``, ``bardling run``, tests, benchmarks) builds the bot the same
way, so a transport only ever needs ``app.core``:

    async with Bardling(settings) as app:
        reply = await app.core.handle(invocation)
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

from bot.config import Settings
from bot.core.commands import build_registry
from bot.core.context import Services
from bot.core.core import CommandCore
from bot.engine.api import Generator
from bot.jobs.commands import COMMANDS as JOB_COMMANDS
from bot.jobs.service import JobService
from bot.jobs.versions import ModelVersions
from bot.jobs.watch import ActiveFilesWatch
from bot.storage import Storage

log = logging.getLogger(__name__)
T = TypeVar("T")


class Bardling:
    """Opens everything on enter and closes it, in reverse, on exit — also when opening fails half-way.

    ``engine`` may be given (tests, or a shared engine); otherwise ``bot.engine.Engine`` is built
    from the settings and closed with the app.
    """

    def __init__(self, settings: Settings, *, engine: Generator | None = None, run_jobs: bool = True) -> None:
        self.settings = settings
        self._given_engine = engine
        self._run_jobs = run_jobs  # False: queue and inspect jobs, leave running them to another process
        self._jobs: JobService | None = None
        self._stack = AsyncExitStack()
        self._storage: Storage | None = None
        self._engine: Generator | None = None
        self._core: CommandCore | None = None

    @property
    def storage(self) -> Storage:
        return _opened(self._storage)

    @property
    def engine(self) -> Generator:
        return _opened(self._engine)

    @property
    def core(self) -> CommandCore:
        return _opened(self._core)

    async def __aenter__(self) -> Bardling:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()
        self._core = self._engine = self._storage = None
        self._jobs = None

    async def _open(self) -> None:
        self.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # users' texts: owner only
        self._storage = await Storage.open(
            self.settings.resolved_database_url, synchronous=self.settings.sqlite_synchronous
        )
        self._stack.push_async_callback(self._storage.close)
        engine: Generator = (
            self._given_engine
            if self._given_engine is not None
            else await self._stack.enter_async_context(_open_engine(self.settings))
        )
        self._engine = engine
        self._jobs = JobService.open(self.settings, self._storage, engine, run_worker=self._run_jobs)
        registry = build_registry()
        JOB_COMMANDS.register(registry, self._jobs)  # the retraining commands, bound to their service
        self._core = CommandCore(Services(self.settings, self._storage, engine), registry=registry)
        self._watch_active_files(engine)
        self._start_job_worker()
        for name, reason in sorted(engine.unavailable().items()):
            log.error("model %s is unavailable: %s", name, reason)
        log.info("Bardling ready: %d models, database %s", len(engine.models()), self._storage.dialect)

    # ----------------------------------------------------------------- retraining jobs (bot/jobs)
    @property
    def jobs(self) -> JobService | None:
        """The retraining service; None when the engine cannot swap model versions."""
        return self._jobs

    def _watch_active_files(self, engine: Generator) -> None:
        """Serve swaps and rollbacks made by other processes, with or without a job worker here."""
        if isinstance(engine, ModelVersions):
            watch = ActiveFilesWatch(engine, self.settings.models_poll_s)
            watch.start()
            self._stack.push_async_callback(watch.stop)

    def _start_job_worker(self) -> None:
        worker = self._jobs.worker if self._jobs is not None else None
        if worker is not None:
            worker.start(self.core.notify)
            self._stack.push_async_callback(worker.stop)  # closes first: kills a running job's process


def _open_engine(settings: Settings) -> Any:
    from bot.engine import Engine  # ONNX Runtime loads only when a real engine is wanted

    return Engine.from_settings(settings)


def _opened(value: T | None) -> T:
    if value is None:
        raise RuntimeError("Bardling is not open: use `async with Bardling(settings) as app`")
    return value
