"""Training jobs claimed by any number of workers at once: each job exactly once, oldest first."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.storage import Storage, jobs
from bot.storage.models import TrainingJob, utcnow
from tests.support.postgres import PostgresServer


async def _queue(storage: Storage, count: int) -> list[int]:
    return [
        (await jobs.create(storage, model=f"m{i}", requested_by="cli", params={})).id for i in range(count)
    ]


async def test_concurrent_workers_claim_every_job_exactly_once_oldest_first(database_url: str) -> None:
    storage = await Storage.open(database_url)
    try:
        queued = await _queue(storage, 12)

        async def worker(name: str) -> list[int]:
            claimed = []
            while (job := await jobs.claim_next(storage, worker_id=name)) is not None:
                assert job.state == "running" and job.started_at is not None
                assert job.worker_id == name and job.heartbeat_at is not None
                claimed.append(job.id)
            return claimed

        claims = await asyncio.gather(*(worker(f"w{n}") for n in range(4)))
        counts = await jobs.count_by_state(storage)
    finally:
        await storage.close()
    every = [job_id for claimed in claims for job_id in claimed]
    assert sorted(every) == queued
    assert all(claimed == sorted(claimed) for claimed in claims)
    assert counts == {"running": 12}


@pytest.mark.postgres
async def test_a_job_being_claimed_elsewhere_is_skipped_not_waited_for(
    postgres_server: PostgresServer,
) -> None:
    database_url = await postgres_server.create_database()
    storage = await Storage.open(database_url)
    other = await Storage.open(database_url, run_migrations=False)  # another worker's connection
    try:
        first, second = await _queue(storage, 2)
        async with other.write() as session:  # holds the oldest row locked until the block ends
            lock = select(TrainingJob).where(TrainingJob.id == first).with_for_update()
            assert (await session.scalar(lock)) is not None
            claimed = await asyncio.wait_for(jobs.claim_next(storage), 30)  # would hang without SKIP LOCKED
        again = await jobs.claim_next(storage)
    finally:
        await other.close()
        await storage.close()
    assert claimed is not None and claimed.id == second
    assert again is not None and again.id == first


async def test_state_counts_and_an_empty_queue(database_url: str) -> None:
    storage = await Storage.open(database_url)
    try:
        assert await jobs.claim_next(storage) is None
        assert await jobs.count_by_state(storage) == {}
        ids = await _queue(storage, 3)
        await jobs.update_fields(storage, ids[0], state="cancelled")
        counts = await jobs.count_by_state(storage)
    finally:
        await storage.close()
    assert counts == {"queued": 2, "cancelled": 1}


async def test_only_jobs_whose_worker_is_gone_are_failed_as_abandoned(database_url: str) -> None:
    storage = await Storage.open(database_url)
    try:
        mine, live, stale, nobody, queued = await _queue(storage, 5)
        for job_id, owner in ((mine, "me"), (live, "other"), (stale, "gone")):  # oldest first
            assert (claimed := await jobs.claim_next(storage, worker_id=owner)) and claimed.id == job_id
        await jobs.update_fields(storage, stale, heartbeat_at=utcnow() - timedelta(minutes=10))
        await jobs.update_fields(storage, nobody, state="running")  # as a worker before heartbeats left it
        cutoff = utcnow() - timedelta(minutes=2)
        failed = await jobs.fail_abandoned(storage, worker_id="me", stale_before=cutoff, message="gone")
        states = {job.id: (job.state, job.message) for job in await jobs.recent(storage)}
    finally:
        await storage.close()
    assert failed == [mine, stale, nobody]
    assert states[live] == ("running", "starting") and states[queued] == ("queued", "")
    assert all(states[job_id] == ("failed", "gone") for job_id in failed)
