"""/retrain, /jobs, /job, /cancel, /rollback, /activate: admins improve the models without a deploy.

All admin-only (the core refuses anyone else before a handler runs, so nothing is queued). The
work is ``bot.jobs.service.JobService``'s; this module turns arguments into calls and results into
replies. The composition root adds these commands to the core's registry with the service
(``COMMANDS.register(registry, service)``), so the core never imports this package.
``bardling jobs`` sends the same commands through the core, so chat and CLI share it all.
"""

from __future__ import annotations

from bot.core.args import Args
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.registry import Commands
from bot.core.types import Button, CommandSpec, ParamSpec, Reply
from bot.jobs.options import OPTIONS, describe
from bot.jobs.service import JobService
from bot.jobs.text import job_line, job_status
from bot.storage.models import ACTIVE_STATES

CORPUS_FILE = "A UTF-8 text file to train a new model on"
JOB_ID = ParamSpec("id", "A job number, as /jobs lists it", type="int", required=True, min_value=1)
RETRAIN_PARAMS = [
    ParamSpec("model", "A model to retrain, or a new name with a text file attached", required=True),
    *(
        ParamSpec(
            o.name, o.description, o.type, min_value=o.min_value, max_value=o.max_value, choices=o.choices
        )
        for o in OPTIONS
    ),
]


COMMANDS = Commands()


def _admin(name: str, description: str, params: list[ParamSpec], file: str | None = None) -> CommandSpec:
    return CommandSpec(name, description, params, admin_only=True, file=file)


def _service(service: JobService | None) -> JobService:
    if service is None:
        raise UserError("Retraining is not available in this bot.")
    return service


def job_buttons(job_id: int) -> list[Button]:
    arg = str(job_id)
    return [Button("📊 Status", "job", arg), Button("⏹ Cancel", "cancel", arg)]


@COMMANDS.command(_admin("retrain", "Train a new version of a model (admins)", RETRAIN_PARAMS, CORPUS_FILE))
async def retrain(jobs: JobService | None, ctx: Context, args: Args) -> Reply:
    chosen = {o.name: args.values.get(o.name) for o in OPTIONS}
    submitted = await _service(jobs).submit(
        args.text("model"),
        chosen,
        attachment=ctx.inv.attachment,
        requested_by=ctx.inv.user_key,
        notify_platform=ctx.inv.platform,
        notify_chat_id=ctx.inv.chat_id,
    )
    job = submitted.job
    params = job.params
    source = "an uploaded text" if params.get("new_model") and "/" in params["corpus"] else params["corpus"]
    wait = f" ({submitted.ahead} ahead of it)" if submitted.ahead else ""
    return Reply(
        f"Job #{job.id} queued{wait}: train {job.model} on {source} — {describe(params['settings'])}.\n"
        f"Progress will appear here. /job {job.id} shows it, /cancel {job.id} stops it.",
        buttons=job_buttons(job.id),
    )


@COMMANDS.command(_admin("jobs", "Recent retraining jobs (admins)", []))
async def list_jobs(jobs: JobService | None, ctx: Context, args: Args) -> Reply:
    rows = await _service(jobs).list()
    if not rows:
        return Reply("No retraining jobs yet — start one with /retrain <model> steps:300")
    return Reply("\n".join(["Recent jobs:", *(job_line(job) for job in rows)]))


@COMMANDS.command(_admin("job", "A retraining job's progress (admins)", [JOB_ID]))
async def show_job(jobs: JobService | None, ctx: Context, args: Args) -> Reply:
    job_id = args.integer("id")
    assert job_id is not None  # required parameter
    job = await _service(jobs).get(job_id)
    buttons = job_buttons(job.id) if job.state in ACTIVE_STATES else []
    return Reply(job_status(job), buttons=buttons)


@COMMANDS.command(_admin("cancel", "Stop a retraining job (admins)", [JOB_ID]))
async def cancel(jobs: JobService | None, ctx: Context, args: Args) -> Reply:
    job_id = args.integer("id")
    assert job_id is not None  # required parameter
    job = await _service(jobs).cancel(job_id, by=ctx.inv.user_key)
    return Reply(f"Job #{job.id} ({job.model}) cancelled; the served model is unchanged.")


@COMMANDS.command(
    _admin(
        "rollback",
        "Serve an earlier version of a model (admins)",
        [
            ParamSpec("model", "Which model", required=True, autocomplete_models=True),
            ParamSpec("version", "Which version (default: the one served before)"),
        ],
    )
)
async def rollback(jobs: JobService | None, ctx: Context, args: Args) -> Reply:
    done = await _service(jobs).rollback(args.text("model"), args.text("version") or None)
    if done.version == done.previous:
        return Reply(f"{done.model} already serves version {done.version}.")
    return Reply(f"{done.model} now serves version {done.version} (was {done.previous}).")


@COMMANDS.command(
    _admin(
        "activate",
        "Serve a version that never served, if it passes the retraining gate (admins)",
        [
            ParamSpec("model", "Which model", required=True, autocomplete_models=True),
            ParamSpec("version", "Which version", required=True),
        ],
    )
)
async def activate(jobs: JobService | None, ctx: Context, args: Args) -> Reply:
    done = await _service(jobs).activate(args.text("model"), args.text("version"))
    was = f" (was {done.previous})" if done.previous and done.previous != done.version else ""
    return Reply(f"{done.model} now serves version {done.version}{was}: {done.verdict.explanation}.")
