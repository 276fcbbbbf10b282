"""How jobs read in chat, in notices and in ``bardling jobs``: the same words everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.errors import first_line
from bot.jobs.eta import JOB_ETA
from bot.jobs.options import describe
from bot.storage.models import ACTIVE_STATES, FINAL_STATES, JobState, TrainingJob, utcnow

ICONS = {
    "queued": "⏳",
    "running": "⏳",
    "succeeded": "✅",
    "rejected": "🚫",
    "failed": "❌",
    "cancelled": "⏹",
}


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_line(
    job_id: int, model: str, state: str, progress: float, message: str, metrics: Mapping[str, Any]
) -> str:
    """``⏳ Job #7 · dinos · training 40% · step 120/300 · loss 1.234 · val 1.650 · ETA 1m05s``."""
    parts = [f"{ICONS.get(state, '')} Job #{job_id} · {model}".strip()]
    if state == JobState.RUNNING:
        parts.append(f"training {progress:.0%}" if message == "training" else message or "running")
    else:
        parts.append(state)
    if state in ACTIVE_STATES and metrics.get("total_steps"):
        parts.append(f"step {metrics.get('step', 0)}/{metrics['total_steps']}")
        if metrics.get("loss") is not None:
            parts.append(f"loss {metrics['loss']:.3f}")
        if metrics.get("val_loss") is not None:
            parts.append(f"val {metrics['val_loss']:.3f}")
        left = metrics.get(JOB_ETA)  # the whole job; older rows have only training's own
        left = left if left is not None or message != "training" else metrics.get("eta_s")
        if state == JobState.RUNNING and left is not None:
            parts.append(f"ETA {duration(left)}")
    return " · ".join(parts)


def job_line(job: TrainingJob) -> str:
    line = progress_line(job.id, job.model, job.state, job.progress, job.message, job.metrics)
    if job.state in FINAL_STATES and job.message:
        line += f" — {_short(job.message)}"
    return line


def job_status(job: TrainingJob) -> str:
    """Everything ``/job <id>`` shows."""
    params = job.params or {}
    lines = [job_line(job)]
    corpus = params.get("corpus", "?")
    lines.append(f"{describe(params.get('settings') or {})} on {_corpus_label(str(corpus))}")
    lines.append(f"Requested by {job.requested_by or 'unknown'} at {_clock(job.created_at)}")
    if job.started_at:
        took = duration(((job.finished_at or utcnow()) - job.started_at).total_seconds())
        verb = "took" if job.finished_at else "running for"
        lines.append(f"Started {_clock(job.started_at)} · {verb} {took}")
    if job.state in FINAL_STATES and job.message:
        lines.append(job.message)
    version = job.metrics.get("version")
    if version and job.state == JobState.SUCCEEDED:
        lines.append(f"Version {version}")
    elif version and job.state in FINAL_STATES:
        lines.append(f"Version {version} was not kept; the run stays in {job.metrics.get('run_dir')}")
    return "\n".join(lines)


def result_text(job: TrainingJob) -> str:
    """The closing message: outcome, the two versions' figures, samples of the new one."""
    metrics = job.metrics or {}
    version = metrics.get("version", "?")
    old_version = metrics.get("old_version")
    served_now = {JobState.SUCCEEDED.value: version}.get(job.state, old_version)
    head = {
        "succeeded": f"✅ Job #{job.id}: {job.model} now serves version {version}.",
        "rejected": f"🚫 Job #{job.id}: the new {job.model} version was not good enough; nothing changed.",
        "failed": f"❌ Job #{job.id} ({job.model}) failed.",
        "cancelled": f"⏹ Job #{job.id} ({job.model}) was cancelled.",
    }.get(job.state, job_line(job))
    lines = [head, job.message] if job.message else [head]
    old = metrics.get("old_metrics") or {}
    if old_version:
        figures = _figures(old)
        lines.append(f"Previous version {old_version}{': ' + figures if figures else ''}.")
    new = metrics.get("new_metrics") or {}
    if new:
        lines.append(f"New version {version}: {_figures(new)}.")
    samples = metrics.get("samples") or []
    if samples:
        lines += ["Samples from the new version:", *(f"• {s}" for s in samples)]
    if job.state == JobState.SUCCEEDED and old_version:
        lines.append(f"Go back with /rollback {job.model} {old_version}")
    elif served_now and job.state != JobState.SUCCEEDED:
        lines.append(f"Still serving {job.model} {served_now}.")
    return "\n".join(lines)


def _figures(metrics: Mapping[str, Any]) -> str:
    parts = []
    if isinstance(metrics.get("val_loss"), int | float):
        parts.append(f"validation loss {metrics['val_loss']:.3f}")
    if metrics.get("steps"):
        parts.append(f"{metrics['steps']} steps")
    if isinstance(metrics.get("train_time_s"), int | float):
        parts.append(f"trained in {duration(metrics['train_time_s'])}")
    return ", ".join(parts)


def _corpus_label(corpus: str) -> str:
    return corpus.rsplit("/", 1)[-1] if "/" in corpus else corpus


def _clock(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _short(text: str, width: int = 120) -> str:
    return first_line(text, width)
