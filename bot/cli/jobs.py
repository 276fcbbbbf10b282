"""``bardling jobs …``: retraining jobs from a terminal, on the bot's own database and model folders.

Each subcommand is the chat command of the same meaning sent through the command core as an admin
(``jobs start dinos steps:300`` is ``/retrain dinos steps:300``), so checks, refusals and wording
are the chat's. ``start`` then runs the queue here until its job ends, printing progress; with
``--detach`` it leaves the job to a running bot. Whichever process runs a job, the others see it
through the database, and a rollback here is served by a running bot at its next poll.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.app import Bardling
from bot.cli.settings_loader import load_settings
from bot.core.types import Invocation, Notice, Reply
from bot.jobs.text import job_line, result_text
from bot.storage.models import FINAL_STATES, JobState

PLATFORM = "cli"

jobs_app = typer.Typer(
    name="jobs",
    help="Retraining jobs: list, show, start, cancel, rollback, activate (admin commands, from a terminal).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")


class _Quiet:
    """Notices for ``cli`` chats: ``start`` prints progress from the job row instead."""

    async def notify(self, notice: Notice) -> None:
        return None


@asynccontextmanager
async def _bot(run_jobs: bool = False) -> AsyncIterator[Bardling]:
    async with Bardling(load_settings(), run_jobs=run_jobs) as app:
        app.core.register_notifier(PLATFORM, _Quiet())
        app.core.set_admin(f"{PLATFORM}:{_user()}", True)
        yield app


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "admin"


async def _say(app: Bardling, command: str, args: str = "", attachment: Path | None = None) -> Reply:
    user = _user()
    invocation = Invocation(PLATFORM, user, user, user, command, args, attachment=attachment)
    reply = await app.core.handle(invocation)
    typer.secho(reply.text, fg=typer.colors.RED if reply.error else None, err=reply.error)
    return reply


def _run(command: str, args: str = "") -> None:
    async def go() -> Reply:
        async with _bot() as app:
            return await _say(app, command, args)

    if asyncio.run(go()).error:
        raise typer.Exit(1)


@jobs_app.command("list")
def list_jobs() -> None:
    """Recent jobs, newest first."""
    _run("jobs")


@jobs_app.command()
def show(job_id: Annotated[int, typer.Argument(help="The job's number.")]) -> None:
    """A job's state, progress, ETA and last loss."""
    _run("job", str(job_id))


@jobs_app.command()
def cancel(job_id: Annotated[int, typer.Argument(help="The job's number.")]) -> None:
    """Stop a queued or running job (a bot running it kills its training process)."""
    _run("cancel", str(job_id))


@jobs_app.command()
def rollback(
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[str | None, typer.Argument(help="Default: the version served before.")] = None,
) -> None:
    """Serve an earlier version of a model."""
    _run("rollback", f"{model} {version or ''}".strip())


@jobs_app.command()
def activate(
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[str, typer.Argument(help="A version in the models dir that has never served.")],
) -> None:
    """Serve a version that never served, if it passes the retraining gate (kind, corpus, loss)."""
    _run("activate", f"{model} {version}")


@jobs_app.command()
def start(
    model: Annotated[str, typer.Argument(help="A model to retrain, or a new name (with --corpus).")],
    options: Annotated[
        list[str] | None,
        typer.Argument(help="As in chat: steps:300, epochs:2, cell:gru, hidden:256, layers:1, lr:0.003, …"),
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="A UTF-8 text file: trains a new model called MODEL on it.")
    ] = None,
    detach: Annotated[bool, typer.Option(help="Only queue it, for a running bot to do.")] = False,
) -> None:
    """Queue a retraining job and, unless --detach, run it here and follow it to the end."""

    async def go() -> bool:
        async with _bot(run_jobs=not detach) as app:
            reply = await _say(app, "retrain", " ".join([model, *(options or [])]), corpus)
            job_id = next((int(b.arg) for b in reply.buttons if b.command == "job"), None)
            if reply.error or job_id is None:
                return False
            return detach or await _follow(app, job_id)

    if not asyncio.run(go()):
        raise typer.Exit(1)


async def _follow(app: Bardling, job_id: int) -> bool:
    """Print the job's progress line whenever it changes, then its result; True if it succeeded."""
    assert app.jobs is not None
    shown = ""
    while True:
        job = await app.jobs.get(job_id)
        line = job_line(job)
        if line != shown:
            typer.echo(line)
            shown = line
        if job.state in FINAL_STATES:
            typer.echo(result_text(job))
            if job.metrics.get("plot"):
                typer.echo(f"Loss curve: {job.metrics['plot']}")
            return job.state == JobState.SUCCEEDED
        await asyncio.sleep(app.settings.retrain_poll_s)
