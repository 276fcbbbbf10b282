"""What admins can do with retraining jobs, whoever asks: chat commands and ``bardling jobs`` both
call this, so a job queued from Telegram and one queued from a terminal are the same thing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.core.errors import UserError
from bot.engine.api import EngineError, Generator
from bot.jobs.corpus import CorpusPlan, check_new_name, plan_existing, plan_registered, store_upload
from bot.jobs.gate import ExportProblem, Verdict, check_comparable, judge
from bot.jobs.options import training_settings
from bot.jobs.versions import ModelVersions, served
from bot.jobs.worker import JobWorker
from bot.storage import Storage, jobs
from bot.storage.models import ACTIVE_STATES, JobState, TrainingJob, utcnow

UPLOADS_DIR = "uploads"
LIST_SIZE = 10


@dataclass(frozen=True)
class Submitted:
    job: TrainingJob
    ahead: int  # jobs queued or running before this one


@dataclass(frozen=True)
class RolledBack:
    model: str
    version: str  # served now
    previous: str  # served before


@dataclass(frozen=True)
class Activated:
    model: str
    version: str  # served now
    previous: str | None  # served before
    verdict: Verdict


class JobService:
    def __init__(
        self, settings: Settings, storage: Storage, engine: ModelVersions, worker: JobWorker | None = None
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.engine = engine
        self.worker = worker  # None: jobs wait for a worker in another process

    @classmethod
    def open(
        cls, settings: Settings, storage: Storage, engine: Generator, *, run_worker: bool = True
    ) -> JobService | None:
        """The service for a bot, with a worker unless told otherwise; None if ``engine`` cannot swap."""
        if not isinstance(engine, ModelVersions):
            return None
        worker = JobWorker(settings, storage, engine) if run_worker and settings.retrain_worker else None
        return cls(settings, storage, engine, worker)

    async def submit(
        self,
        model: str,
        chosen: Mapping[str, Any],
        *,
        attachment: Path | None,
        requested_by: str,
        notify_platform: str | None = None,
        notify_chat_id: str | None = None,
    ) -> Submitted:
        """Queue a retrain of ``model`` (or a new model from ``attachment``); refusals are ``UserError``."""
        model = model.strip()
        plan = await self._plan(model, attachment)
        settings = training_settings(plan.inherited, chosen, new_model=plan.new_model)
        job = await jobs.create(
            self.storage,
            model=model,
            requested_by=requested_by,
            params={"corpus": plan.corpus, "settings": settings, "new_model": plan.new_model},
            notify_platform=notify_platform,
            notify_chat_id=notify_chat_id,
        )
        pending = await jobs.recent(self.storage, limit=1000, states=list(ACTIVE_STATES))
        self._wake()
        return Submitted(job, sum(1 for other in pending if other.id < job.id))

    async def _plan(self, model: str, attachment: Path | None) -> CorpusPlan:
        versions = self._versions(model)
        if versions:
            if attachment is not None:
                raise UserError(
                    f"{model} already exists and retrains on its own corpus. To train on the attached "
                    "text, give a new model name."
                )
            active = self.engine.active_version(model)
            manifest = dict(versions).get(active) or versions[0][1]
            return plan_existing(manifest)
        check_new_name(model)
        if attachment is not None:
            stored = await asyncio.to_thread(
                store_upload,
                attachment,
                uploads_dir=self.settings.data_dir / UPLOADS_DIR,
                model=model,
                max_bytes=self.settings.retrain_max_upload_bytes,
            )
            return CorpusPlan(str(stored), new_model=True)
        registered = plan_registered(model)
        if registered is not None:
            return registered
        raise UserError(
            f"There is no model “{model}”. Attach a UTF-8 text file to train a new model of that name, "
            "or retrain one listed by /models."
        )

    def _versions(self, model: str) -> list[tuple[str, Any]]:
        try:
            return self.engine.versions(model)
        except EngineError:
            return []

    async def list(self, limit: int = LIST_SIZE) -> list[TrainingJob]:
        return await jobs.recent(self.storage, limit=limit)

    async def get(self, job_id: int) -> TrainingJob:
        job = await jobs.get(self.storage, job_id)
        if job is None:
            raise UserError(f"There is no job #{job_id} — see /jobs.")
        return job

    async def cancel(self, job_id: int, *, by: str) -> TrainingJob:
        """Cancel a queued or running job; the worker kills a running one's process at its next poll."""
        changed = await jobs.update_fields(
            self.storage,
            job_id,
            only_from=list(ACTIVE_STATES),
            state=JobState.CANCELLED,
            message=f"cancelled by {by}",
            finished_at=utcnow(),
        )
        job = await self.get(job_id)
        if not changed:
            raise UserError(f"Job #{job_id} has already ended ({job.state}).")
        self._wake()
        return job

    async def rollback(self, model: str, version: str | None = None) -> RolledBack:
        """Serve ``version``, or the version served before the current one; atomic, like any swap."""
        if not self._versions(model):
            raise UserError(f"There is no model “{model}” — see /models.")
        previous = self.engine.active_version(model)
        now = await self.engine.rollback(model, version or None)
        return RolledBack(model, now, previous)

    async def activate(self, model: str, version: str) -> Activated:
        """Serve a version that has never served (copied in, or rejected before), but only through
        the gate a retrained version passes: same kind, tokenization and corpus as the served one,
        and a validation loss no worse than its, within the tolerance."""
        if not self._versions(model):
            raise UserError(f"There is no model “{model}” — see /models.")
        try:
            manifest = self.engine.manifest(model, version)
        except EngineError as err:
            raise UserError(str(err)) from None
        before = served(self.engine, model)
        try:
            check_comparable(manifest, before[1] if before else None, what=f"version {version}")
        except ExportProblem as err:
            raise UserError(f"Not activated: {err}.") from None
        verdict = judge(manifest, before[1] if before else None, self.settings.retrain_tolerance)
        if not verdict.accepted:
            raise UserError(f"Not activated: {verdict.explanation}.")
        await self.engine.activate(model, version)
        return Activated(model, version, before[0] if before else None, verdict)

    def _wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()
