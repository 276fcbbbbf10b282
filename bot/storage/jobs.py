"""Training jobs as rows: created queued, moved through their states by the job worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.storage.models import ACTIVE_STATES, JOB_STATES, JobState, TrainingJob, storable_id, utcnow
from bot.storage.store import Storage


async def create(
    storage: Storage,
    *,
    model: str,
    requested_by: str | None,
    params: dict[str, Any],
    notify_platform: str | None = None,
    notify_chat_id: str | None = None,
) -> TrainingJob:
    now = utcnow()
    job = TrainingJob(
        model=model,
        requested_by=requested_by,
        params=params,
        state=JobState.QUEUED,
        progress=0.0,
        message="",
        metrics={},
        notify_platform=notify_platform,
        notify_chat_id=notify_chat_id,
        created_at=now,
        updated_at=now,
    )
    async with storage.write() as session:
        session.add(job)
    return job


async def get(storage: Storage, job_id: int) -> TrainingJob | None:
    if not storable_id(job_id):
        return None
    async with storage.read() as session:
        return await session.get(TrainingJob, job_id)


async def recent(
    storage: Storage, *, limit: int = 20, states: Sequence[str] | None = None
) -> list[TrainingJob]:
    stmt = select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)
    if states:
        stmt = stmt.where(TrainingJob.state.in_(states))
    async with storage.read() as session:
        return list(await session.scalars(stmt))


async def update_fields(
    storage: Storage, job_id: int, *, only_from: Sequence[str] | None = None, **values: Any
) -> bool:
    """Set columns in one atomic statement; with ``only_from``, only while the job is in one of those
    states (so e.g. a cancel and a finishing worker cannot both win). ``True`` if the row changed."""
    if "state" in values and values["state"] not in JOB_STATES:
        raise ValueError(f"unknown job state {values['state']!r}")
    if not storable_id(job_id):
        return False
    stmt = update(TrainingJob).where(TrainingJob.id == job_id).values(**values, updated_at=utcnow())
    if only_from:
        stmt = stmt.where(TrainingJob.state.in_(only_from))
    async with storage.atomic() as conn:
        return bool((await conn.execute(stmt)).rowcount)


async def claim_next(
    storage: Storage, *, worker_id: str | None = None, message: str = "starting"
) -> TrainingJob | None:
    """Move the oldest queued job to ``running``, owned by ``worker_id`` with a fresh heartbeat, and
    return it; None when the queue is empty.

    Any number of workers, on any number of machines, may call this at once: on PostgreSQL the
    row is read ``FOR UPDATE SKIP LOCKED``, so a worker never waits on a row another is claiming
    and never gets the same job; on SQLite the write transaction already runs one at a time.
    """
    stmt = (
        select(TrainingJob)
        .where(TrainingJob.state == JobState.QUEUED)
        .order_by(TrainingJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    async with storage.write() as session:
        job = await session.scalar(stmt)
        if job is None:
            return None
        now = utcnow()
        job.state, job.started_at, job.message, job.updated_at = JobState.RUNNING, now, message, now
        job.worker_id, job.heartbeat_at = worker_id, now
    return job


async def fail_abandoned(
    storage: Storage, *, worker_id: str, stale_before: datetime, message: str
) -> list[int]:
    """Fail the ``running`` jobs whose worker is gone; returns their ids, oldest first.

    Gone means: the row names ``worker_id`` (the caller, which holds that worker's lock, so the
    earlier holder died), names no worker, or its heartbeat is older than ``stale_before``. A job
    another live worker keeps beating is never touched. One statement, so a heartbeat written at
    the same moment either lands first (the job stays) or finds the job already failed.
    """
    now = utcnow()
    stmt = (
        update(TrainingJob)
        .where(TrainingJob.state == JobState.RUNNING)
        .where(
            or_(
                TrainingJob.worker_id == worker_id,
                TrainingJob.worker_id.is_(None),
                TrainingJob.heartbeat_at.is_(None),
                TrainingJob.heartbeat_at < stale_before,
            )
        )
        .values(state=JobState.FAILED, message=message, finished_at=now, updated_at=now)
        .returning(TrainingJob.id)
    )
    async with storage.atomic() as conn:
        return sorted((await conn.execute(stmt)).scalars())


async def unannounced(storage: Storage, *, limit: int = 20) -> list[TrainingJob]:
    """Jobs that ended (however: finished, failed, cancelled, interrupted) and whose end nobody has
    been told yet, oldest first."""
    stmt = (
        select(TrainingJob)
        .where(TrainingJob.finished_at.is_not(None), TrainingJob.announced_at.is_(None))
        .where(TrainingJob.state.not_in(ACTIVE_STATES))
        .order_by(TrainingJob.id)
        .limit(limit)
    )
    async with storage.read() as session:
        return list(await session.scalars(stmt))


async def claim_announcement(storage: Storage, job_id: int) -> bool:
    """Take the telling of a job's end (one worker of several wins); ``release_announcement`` gives it
    back when it could not be delivered."""
    stmt = (
        update(TrainingJob)
        .where(TrainingJob.id == job_id, TrainingJob.announced_at.is_(None))
        .values(announced_at=utcnow())
    )
    async with storage.atomic() as conn:
        return bool((await conn.execute(stmt)).rowcount)


async def release_announcement(storage: Storage, job_id: int) -> None:
    stmt = update(TrainingJob).where(TrainingJob.id == job_id).values(announced_at=None)
    async with storage.atomic() as conn:
        await conn.execute(stmt)


async def count_by_state(storage: Storage) -> dict[str, int]:
    """How many jobs are in each state (states with none are absent)."""
    stmt = select(TrainingJob.state, func.count()).group_by(TrainingJob.state)
    async with storage.atomic() as conn:
        return {state: int(n) for state, n in (await conn.execute(stmt)).all()}
