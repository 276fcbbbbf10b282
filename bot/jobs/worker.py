"""The job worker: runs queued jobs one at a time, each as train → export → check → gate → swap.

Training and export are ``bardling train`` / ``bardling export`` in a child process (torch never
loads in the bot); the event loop only polls that process, its ``metrics.jsonl`` and the job row.
The job row is the one source of truth: a cancel (from chat or from ``bardling jobs cancel`` in
another process) is a state change the worker notices on its next poll; a time limit kills the
process; a job left ``running`` by a process that died fails as interrupted. The served model
changes only through ``engine.activate`` after the gate accepts, so every failure leaves it alone.

Workers on several machines may share one database: each claims with ``jobs.claim_next`` (so no
job runs twice), stamps the row with its id and keeps a heartbeat on it while it runs. A ``running``
row counts as abandoned only when it carries this worker's id (the worker that held this data
dir's lock before, now gone), carries none, or its heartbeat is older than ``HEARTBEAT_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import shutil
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from artifact.manifest import Manifest
from artifact.run_metrics import LOSS_PLOT_FILE
from bot.config import Settings
from bot.core.types import Notice
from bot.engine.api import EngineError, GenerationRequest
from bot.engine.names import distinct_names
from bot.engine.registry import ACTIVE_FILE
from bot.engine.sampling import resolve_params
from bot.jobs import eta
from bot.jobs.gate import ExportProblem, check_export, judge
from bot.jobs.lock import LOCK_FILE, JobLock
from bot.jobs.options import train_argv
from bot.jobs.process import Finished, run_stage
from bot.jobs.progress import MetricsTail
from bot.jobs.text import job_line, progress_line, result_text
from bot.jobs.versions import ModelVersions, served
from bot.storage import Storage, jobs
from bot.storage.models import JobState, TrainingJob, utcnow

log = logging.getLogger(__name__)

Notify = Callable[[str, Notice], Awaitable[bool]]  # CommandCore.notify

CANCELLED = JobState.CANCELLED
TIME_LIMIT = "time limit"
INTERRUPTED = "interrupted: the bot stopped while it was running"
LOG_FILE = "job.log"
SERVED_LOSS_FILE = "served_loss.json"  # the served version's validation loss, measured by this job
SAMPLES = 3
SAMPLE_SEED = 20240601
SAMPLE_MAX_TOKENS = 200
NOTICE_STEPS = 10  # a progress notice at least every 10 %
DEFAULT_PROGRAM = ("-c", "from bot.cli import app; app(prog_name='bardling')")
HEARTBEAT_EVERY_S = 10.0  # a running job's row is touched at least this often
HEARTBEAT_TIMEOUT_S = 120.0  # a running job whose heartbeat is older was left by a worker that died
STOP_GRACE_S = 10.0  # how long a stop waits for a poll in progress to end before cutting it short


class JobFailed(Exception):
    """The job cannot succeed; ``str(err)`` is the reason shown to the admin."""


class JobCancelled(Exception):
    """The job row left ``running`` (cancelled) while the worker was at it."""


@dataclass
class _Run:
    """One job in progress: where its files go and what has been reported."""

    job: TrainingJob
    run_dir: Path
    version: str
    staging: Path
    deadline: float
    tail: MetricsTail
    stage: str = "starting"
    placed: Path | None = None  # the version directory, until it is served
    pinned: str | None = None  # the version this job wrote into ``active`` to keep it served
    metrics: dict[str, Any] = field(default_factory=dict)
    saved: tuple[Any, ...] = ()
    noticed_at: float = -math.inf
    noticed_step: int = -1
    noticed_text: str = ""
    heartbeat: float = field(default_factory=time.monotonic)  # when the row's heartbeat was last written
    after_training_estimate: float | None = None  # seconds the stages after training should take
    trained_at: float | None = None  # monotonic time training ended

    @property
    def progress(self) -> float:
        return self.tail.progress.fraction


class JobWorker:
    def __init__(self, settings: Settings, storage: Storage, engine: ModelVersions) -> None:
        self.settings = settings
        self.storage = storage
        self.engine = engine
        self.notify: Notify | None = None
        self._wake = asyncio.Event()
        self._lock = JobLock(settings.data_dir / LOCK_FILE)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._job: TrainingJob | None = None  # the job being run, if any
        self._announce_after: dict[int, float] = {}  # job id → when to try telling its end again
        self.worker_id = worker_id(settings)

    # ----------------------------------------------------------------- lifecycle
    def start(self, notify: Notify | None = None) -> None:
        self.notify = notify
        self._task = asyncio.create_task(self._loop(), name="retrain-worker")

    async def stop(self) -> None:
        """Stop the loop; a job it was running is killed and fails as interrupted.

        An idle worker is asked to leave and left to finish the poll it is in: a query cut short by
        a cancel leaves its pooled connection to be reset during shutdown, which fails noisily.
        """
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            if self._job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE_S)
            if not self._task.done():
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._lock.release()

    def wake(self) -> None:
        """Look at the queue (and the running job's row) now rather than at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._announce_pending()
                ran = await self.run_once()
            except Exception:
                log.exception("the job worker failed; it tries again at the next poll")
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.retrain_poll_s)
                self._wake.clear()

    async def run_once(self) -> bool:
        """Run the oldest queued job if no other worker is running one; ``True`` if a job ran."""
        if not self._lock.acquire():
            return False
        try:
            await self._fail_abandoned()
            job = None if self._stopping else await self._claim()
            if job is None:
                return False
            if self._stopping:  # claimed as the bot began to stop: back in the queue for the next start
                await jobs.update_fields(
                    self.storage, job.id, only_from=[JobState.RUNNING],
                    state=JobState.QUEUED, started_at=None, message="", worker_id=None, heartbeat_at=None,
                )  # fmt: skip
                return False
            self._job = job
            try:
                await self._run(job)
            finally:
                self._job = None
            return True
        finally:
            self._lock.release()

    async def _fail_abandoned(self) -> None:
        """Fail the jobs left ``running`` by a worker that died: this one's earlier self (it holds
        the lock now), one that left no id, or one whose heartbeat stopped; never a live worker's."""
        stale_before = utcnow() - timedelta(seconds=HEARTBEAT_TIMEOUT_S)
        await jobs.fail_abandoned(
            self.storage, worker_id=self.worker_id, stale_before=stale_before, message=INTERRUPTED
        )
        await self._announce_pending()

    async def _claim(self) -> TrainingJob | None:
        return await jobs.claim_next(self.storage, worker_id=self.worker_id)

    # ----------------------------------------------------------------- one job
    async def _run(self, job: TrainingJob) -> None:
        try:
            run = self._prepare(job)
        except OSError as err:
            await jobs.update_fields(
                self.storage,
                job.id,
                state=JobState.FAILED,
                message=f"no room for the run: {err}",
                finished_at=utcnow(),
            )
            await self._announce_pending()
            return
        try:
            ended = [JobState.SUCCEEDED, JobState.REJECTED]
            earlier = await jobs.recent(self.storage, limit=20, states=ended)
            run.after_training_estimate = eta.after_training_estimate(
                job.model, [(j.model, j.metrics or {}) for j in earlier]
            )
            await self._notice(run, force=True)
            await self._train(run)
            manifest, before = await self._export(run)
            await self._install(run, manifest, before)
        except JobCancelled:
            self._discard(run)
        except JobFailed as err:
            self._discard(run)
            await self._finish(run, JobState.FAILED, str(err))
        except asyncio.CancelledError:
            self._discard(run)
            await self._finish(run, JobState.FAILED, INTERRUPTED)
            raise
        except Exception as err:
            log.exception("job %d failed unexpectedly", job.id)
            self._discard(run)
            await self._finish(run, JobState.FAILED, f"internal error: {type(err).__name__}: {err}")
        await self._announce_pending()

    def _prepare(self, job: TrainingJob) -> _Run:
        models_dir = self.engine.models_dir or self.settings.resolved_models_dir
        version = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-job{job.id}"
        run_dir = self.settings.runs_dir / f"job-{job.id}-{job.model}"
        shutil.rmtree(run_dir, ignore_errors=True)  # a job id is never reused; a leftover is junk
        run_dir.mkdir(parents=True)
        deadline = time.monotonic() + self.settings.retrain_time_limit_minutes * 60
        staging = models_dir / job.model / f".staging-{version}"
        run = _Run(job, run_dir, version, staging, deadline, MetricsTail(run_dir))
        run.metrics = {"version": version, "run_dir": str(run_dir), "log": str(run_dir / LOG_FILE)}
        return run

    async def _train(self, run: _Run) -> None:
        params = run.job.params
        threads = self.settings.retrain_threads
        argv = train_argv(params["corpus"], params.get("settings") or {}, threads=threads)
        argv += ["--run-dir", str(run.run_dir), "--device", self.settings.device, *self._dirs()]
        run.stage = "training"
        finished = await self._stage(run, argv)
        progress = run.tail.read()
        await self._report(run)
        if progress.error:
            raise JobFailed(f"training failed: {progress.error}")
        if not finished.ok:
            detail = f"{finished.describe()}{self._last_error(run)}"
            raise JobFailed(f"training failed: the training process {detail}")
        if not progress.done or progress.stopped:
            raise JobFailed(f"training stopped early ({progress.stopped or 'no end of run recorded'})")
        run.trained_at = time.monotonic()

    async def _export(self, run: _Run) -> tuple[Manifest, tuple[str, Manifest] | None]:
        before = served(self.engine, run.job.model)
        if before is not None and not (run.staging.parent / ACTIVE_FILE).exists():
            # Pin the served version while a new directory sits beside it (a model with no
            # bundled copy would otherwise serve its newest); unpinned if the job goes no further.
            await self.engine.activate(run.job.model, before[0])
            run.pinned = before[0]
        run.stage = "exporting"
        await self._notice(run, force=True)
        argv = ["export", str(run.run_dir), "--name", run.job.model, "--out", str(run.staging)]
        argv += ["--version", run.version, *self._dirs()]
        finished = await self._stage(run, argv)
        if not finished.ok:
            raise JobFailed(f"export failed: the export process {finished.describe()}{self._last_error(run)}")
        try:
            manifest = check_export(
                run.staging, name=run.job.model, version=run.version, served=before[1] if before else None
            )
        except ExportProblem as err:
            raise JobFailed(f"export refused: {err}") from None
        if before is not None:
            before = (before[0], await self._measured(run, before))
        return manifest, before

    async def _measured(self, run: _Run, served: tuple[str, Manifest]) -> Manifest:
        """The served version's manifest with its validation loss measured now, on the same held-out
        split, rather than read from its file (which anyone with access to the models dir can edit)."""
        version, manifest = served
        out = run.run_dir / SERVED_LOSS_FILE
        device = "cuda" if self.settings.device == "cuda" else "cpu"
        argv = ["evaluate", str(self.engine.model_dir(run.job.model, version)), "--samples", "0"]
        argv += ["--json-out", str(out), "--device", device, *self._dirs()]
        run.stage = "measuring the served version"
        await self._notice(run, force=True)
        finished = await self._stage(run, argv)
        try:
            loss = float(json.loads(out.read_text("utf-8"))["held_out"]["val_loss"])
        except (OSError, ValueError, KeyError, TypeError):
            loss = math.nan
        if not finished.ok or not math.isfinite(loss):
            why = finished.describe() if not finished.ok else "it reported no loss"
            raise JobFailed(
                f"the served version's validation loss could not be measured: the evaluation {why}"
                f"{self._last_error(run)}"
            )
        return manifest.model_copy(update={"metrics": manifest.metrics.model_copy(update={"val_loss": loss})})

    async def _install(self, run: _Run, manifest: Manifest, before: tuple[str, Manifest] | None) -> None:
        """Place the version beside the served one, sample it, gate it, and swap or discard it."""
        model = run.job.model
        run.stage = "checking"
        final = run.staging.with_name(run.version)
        run.staging.rename(final)
        run.placed = final
        self.engine.reload()
        try:
            samples = await self._samples(model, run.version, manifest)
        except EngineError as err:
            raise JobFailed(f"the new version does not load: {err}") from None
        verdict = judge(manifest, before[1] if before else None, self.settings.retrain_tolerance)
        run.metrics |= {
            "samples": samples,
            "new_metrics": _figures(manifest),
            "old_version": before[0] if before else None,
            "old_metrics": _figures(before[1]) if before else None,
        }
        await self._check_still_running(run)
        if not verdict.accepted:
            await self._finish(run, "rejected", f"Rejected: {verdict.explanation}.")
            self._discard(run)
            return
        try:
            await self.engine.activate(model, run.version)
        except EngineError as err:
            raise JobFailed(f"the new version could not be served: {err}") from None
        run.placed = None
        await self._finish(run, JobState.SUCCEEDED, f"Gate passed: {verdict.explanation}.")

    async def _samples(self, model: str, version: str, manifest: Manifest) -> list[str]:
        request = GenerationRequest(model, version=version, rng_seed=SAMPLE_SEED)
        if manifest.kind == "names":
            return [r.text for r in await distinct_names(self.engine, request, SAMPLES)]
        params = resolve_params(None, manifest.generation)
        params = replace(params, max_tokens=min(params.max_tokens, SAMPLE_MAX_TOKENS))
        request = replace(request, params=params)
        texts = []
        for i in range(SAMPLES):
            result = await self.engine.generate(replace(request, rng_seed=SAMPLE_SEED + i))
            lines = [line.strip() for line in result.text.strip().splitlines() if line.strip()]
            texts.append(" / ".join(lines[:4]))
        return texts

    # ----------------------------------------------------------------- the child processes
    def _dirs(self) -> list[str]:
        argv = ["--data-dir", str(self.settings.data_dir)]
        if self.settings.corpora_dir is not None:
            argv += ["--corpora-dir", str(self.settings.corpora_dir)]
        return argv

    async def _stage(self, run: _Run, argv: list[str]) -> Finished:
        program = self.settings.retrain_command or [sys.executable, *DEFAULT_PROGRAM]
        finished = await run_stage(
            [*program, *argv],
            log_path=run.run_dir / LOG_FILE,
            nice=self.settings.retrain_nice,
            poll_s=self.settings.retrain_poll_s,
            check=lambda: self._tick(run),
            wake=self._wake,
            memory_bytes=self.settings.retrain_memory_bytes,
        )
        if finished.stopped == CANCELLED:
            raise JobCancelled
        if finished.stopped == TIME_LIMIT:
            minutes = self.settings.retrain_time_limit_minutes
            raise JobFailed(f"time limit: still {run.stage} after {minutes:g} minutes, so it was stopped")
        return finished

    async def _tick(self, run: _Run) -> str | None:
        if run.stage == "training":
            run.tail.read()
        try:
            await self._check_still_running(run)
        except JobCancelled:
            return CANCELLED
        if time.monotonic() >= run.deadline:
            return TIME_LIMIT
        await self._report(run)
        return None

    async def _check_still_running(self, run: _Run) -> None:
        row = await jobs.get(self.storage, run.job.id)
        if row is None or row.state != JobState.RUNNING:
            raise JobCancelled

    @staticmethod
    def _last_error(run: _Run) -> str:
        """The last ``error: …`` line the child printed, as `` (…)``; empty if there is none."""
        try:
            lines = (run.run_dir / LOG_FILE).read_text("utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        errors = [ln.strip() for ln in lines if ln.strip().lower().startswith("error")]
        return f" ({errors[-1].split(':', 1)[-1].strip()})" if errors else ""

    def _discard(self, run: _Run) -> None:
        """Remove a version that will not be served (its run dir, with checkpoints, stays), and the pin."""
        shutil.rmtree(run.staging, ignore_errors=True)
        changed = run.placed is not None
        if run.placed is not None:
            shutil.rmtree(run.placed, ignore_errors=True)
            run.placed = None
        active = run.staging.parent / ACTIVE_FILE
        with contextlib.suppress(OSError):
            if run.pinned is not None and active.read_text("utf-8").strip() == run.pinned:
                active.unlink()  # as it was before the job: nothing named, the default served
                changed = True
        if changed:
            self.engine.reload()

    # ----------------------------------------------------------------- reporting
    async def _report(self, run: _Run) -> None:
        """Keep the job row current (for /job and other processes) and send a progress notice when due."""
        run.metrics |= run.tail.progress.to_dict()
        since = None if run.trained_at is None else time.monotonic() - run.trained_at
        run.metrics[eta.JOB_ETA] = eta.job_eta(
            run.metrics, estimate=run.after_training_estimate, after_training_so_far=since
        )
        snapshot = (run.stage, round(run.progress, 3), run.metrics.get("step"), run.metrics.get("val_loss"))
        heartbeat_due = time.monotonic() - run.heartbeat >= HEARTBEAT_EVERY_S
        if snapshot != run.saved or heartbeat_due:
            await jobs.update_fields(
                self.storage,
                run.job.id,
                only_from=[JobState.RUNNING],
                progress=run.progress,
                message=run.stage,
                metrics=dict(run.metrics),
                heartbeat_at=utcnow(),
            )
            run.saved, run.heartbeat = snapshot, time.monotonic()
        await self._notice(run)

    async def _notice(self, run: _Run, *, force: bool = False) -> None:
        tenth = int(run.progress * NOTICE_STEPS)
        due = time.monotonic() - run.noticed_at >= self.settings.retrain_notice_every_s
        text = progress_line(
            run.job.id, run.job.model, JobState.RUNNING, run.progress, run.stage, run.metrics
        )
        if text == run.noticed_text or not (force or due or tenth > run.noticed_step):
            return
        run.noticed_at, run.noticed_step, run.noticed_text = time.monotonic(), tenth, text
        await self._send(run.job, Notice(run.job.notify_chat_id or "", text, key=_notice_key(run.job.id)))

    @staticmethod
    def _after_training(run: _Run) -> dict[str, float]:
        """How long the stages after training took, for the next job's ETA; none if they did not run."""
        if run.trained_at is None:
            return {}
        return {eta.AFTER_TRAINING: round(time.monotonic() - run.trained_at, 1), eta.JOB_ETA: 0.0}

    async def _finish(self, run: _Run, state: str, message: str) -> None:
        await jobs.update_fields(
            self.storage,
            run.job.id,
            only_from=[JobState.RUNNING],
            state=state,
            message=message,
            progress=run.progress,
            metrics=run.metrics
            | run.tail.progress.to_dict()
            | _plot(run.run_dir)
            | self._after_training(run),
            finished_at=utcnow(),
        )

    async def _announce_pending(self) -> None:
        """Tell of every job that ended and was not told of yet, however it ended: here, cancelled
        from elsewhere, or cut short by a restart (told once a transport is up). An end that could
        not be delivered is tried again as often as progress notices may be sent (and polls run)."""
        now = time.monotonic()
        for job in await jobs.unannounced(self.storage):
            if now < self._announce_after.get(job.id, -math.inf) or self.notify is None:
                continue
            if not await jobs.claim_announcement(self.storage, job.id):
                continue  # another worker tells it
            if not await self._announce_end(job):
                await jobs.release_announcement(self.storage, job.id)
                retry_s = max(self.settings.retrain_poll_s, self.settings.retrain_notice_every_s)
                self._announce_after[job.id] = now + retry_s

    async def _announce_end(self, job: TrainingJob) -> bool:
        """Edit the progress message to the outcome, then send the result with the loss curve;
        ``False`` if it could not be delivered."""
        plot = job.metrics.get("plot")
        image = Path(plot) if plot else None  # recorded only when the trainer drew it
        return await self._send(
            job, Notice(job.notify_chat_id or "", job_line(job), key=_notice_key(job.id))
        ) and await self._send(job, Notice(job.notify_chat_id or "", result_text(job), image=image))

    async def _send(self, job: TrainingJob, notice: Notice) -> bool:
        """Deliver a notice to whoever asked for the job; ``True`` also when nobody is to be told."""
        if self.notify is not None and job.notify_platform and job.notify_chat_id:
            return await self.notify(job.notify_platform, notice)
        return True


def worker_id(settings: Settings) -> str:
    """Who runs a job: this host and data dir, the scope of the worker lock (at most one live holder)."""
    data_dir = str(settings.data_dir.resolve())
    return f"{socket.gethostname()[:100]}/{hashlib.sha256(data_dir.encode()).hexdigest()[:16]}"


def _notice_key(job_id: int) -> str:
    return f"job-{job_id}"


def _figures(manifest: Manifest) -> dict[str, Any]:
    metrics = manifest.metrics
    return {"val_loss": metrics.val_loss, "steps": metrics.steps, "train_time_s": metrics.train_time_s}


def _plot(run_dir: Path) -> dict[str, str]:
    path = run_dir / LOSS_PLOT_FILE
    return {"plot": str(path)} if path.is_file() else {}
