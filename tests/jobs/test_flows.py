"""Retraining jobs through the command core, with a stand-in trainer: success, gate, faults, cancel."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Bardling
from bot.storage import jobs
from bot.storage.models import utcnow
from tests.jobs.conftest import CHAT, JobBot, OpenBot, job_settings


def served(bot: JobBot, model: str = "shakespeare") -> str:
    return bot.app.jobs.engine.active_version(model)  # type: ignore[union-attr]


def version_dirs(bot: JobBot, model: str = "shakespeare") -> list[str]:
    """Retrained versions on disk, and whether an ``active`` file names one (it should not, after a
    job that changed nothing: the models folder is as the job found it)."""
    directory = bot.app.settings.resolved_models_dir / model
    found = sorted(p.name for p in directory.iterdir() if p.is_dir()) if directory.is_dir() else []
    return [*found, "active"] if (directory / "active").exists() else found


def assert_dead(run_dir: Path) -> None:
    pid = int((run_dir / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_others_are_refused_and_nothing_is_queued(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        for line in ("/retrain shakespeare steps:5", "/jobs", "/job 1", "/cancel 1", "/rollback shakespeare"):
            reply = await bot.say(line, user="someone")
            assert reply.error and "admins only" in reply.text
        assert await jobs.recent(bot.app.storage) == []
        help_text = (await bot.say("/help", user="someone")).text
        assert "/retrain" not in help_text and "/retrain" in (await bot.say("/help")).text
        specs = {spec.name: spec for spec in bot.app.core.commands(admin=True)}
        assert all(specs[name].admin_only for name in ("retrain", "jobs", "job", "cancel", "rollback"))
        assert [name for name, spec in specs.items() if spec.file] == ["retrain"]  # transports offer a file


async def test_a_better_version_is_swapped_in_and_rolled_back(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        reply = await bot.say("/retrain shakespeare steps:20 hidden:32")
        assert "Job #1 queued" in reply.text and "GRU 1×32, 20 steps" in reply.text
        assert [(b.command, b.arg) for b in reply.buttons] == [("job", "1"), ("cancel", "1")]
        job = await bot.wait(1)
        assert job.state == "succeeded", job.message
        assert "down from 1.500" in job.message
        version = job.metrics["version"]
        assert served(bot) == version and version.endswith("-job1")

        models = (await bot.say("/models")).text
        assert f"shakespeare v{version}" in models and "earlier: v1 (val 1.500)" in models
        poem = await bot.say("/poem O")
        assert not poem.error and f"v{version}" in poem.text

        result = await bot.told(1)
        keyed = [n for n in bot.notices.sent if n.key == "job-1"]
        assert keyed and all(n.chat_id == CHAT for n in bot.notices.sent)
        assert len(keyed) <= 14  # at most about one per 10 % plus the stage changes: not a flood
        assert keyed[-1].text.startswith("✅ Job #1")
        assert result.key is None and result.image is not None and result.image.name == "loss.png"
        assert (
            "now serves version" in result.text and "Previous version 1: validation loss 1.500" in result.text
        )
        assert result.text.count("\n• ") == 3  # three samples from the new version

        rolled = await bot.say("/rollback shakespeare")
        assert rolled.text == f"shakespeare now serves version 1 (was {version})."
        assert served(bot) == "1"
        again = await bot.say(f"/rollback shakespeare {version}")
        assert served(bot) == version, again.text


async def test_a_worse_version_is_rejected_and_not_kept(open_bot: OpenBot) -> None:
    async with open_bot("worse") as bot:
        await bot.retrain("/retrain shakespeare steps:5")
        job = await bot.wait(1)
        assert job.state == "rejected"
        assert (
            job.message == "Rejected: validation loss 9.000, up 7.500 from 1.500 (over the 0.02 tolerance)."
        )
        assert served(bot) == "1" and version_dirs(bot) == []
        assert "earlier" not in (await bot.say("/models")).text
        told = (await bot.told(1)).text
        assert told.startswith("🚫 Job #1") and "Still serving shakespeare 1" in told


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("crash", "training failed: the training process exited with code 2 (the corpus caught fire)"),
        ("killed", "training failed: the training process was killed by SIGKILL"),
        ("nan", "training failed: loss became NaN at step 3"),
        ("export_fail", "export failed: the export process exited with code 1 (parity check failed"),
        ("corrupt", "export refused: the export's model.onnx does not match its manifest checksum"),
        ("mismatch", "export refused: the export was trained on other text"),
    ],
)
async def test_faults_fail_the_job_and_leave_the_served_model(
    open_bot: OpenBot, scenario: str, reason: str
) -> None:
    async with open_bot(scenario) as bot:
        await bot.retrain("/retrain shakespeare steps:8")
        job = await bot.wait(1)
        assert job.state == "failed" and job.message.startswith(reason), job.message
        assert served(bot) == "1" and version_dirs(bot) == []
        told = await bot.told(1)
        assert told.text.startswith("❌ Job #1 (shakespeare) failed.") and reason in told.text
        assert not (await bot.say("/poem O")).error


async def test_a_time_limit_kills_the_process_and_fails_the_job(open_bot: OpenBot) -> None:
    async with open_bot("hang", retrain_time_limit_minutes=0.01) as bot:
        await bot.retrain("/retrain shakespeare steps:8")
        job = await bot.wait(1)
        assert job.state == "failed" and job.message.startswith(
            "time limit: still training after 0.01 minutes"
        )
        assert_dead(Path(job.metrics["run_dir"]))
        assert served(bot) == "1"


async def test_status_shows_progress_and_cancel_kills_the_process(open_bot: OpenBot) -> None:
    async with open_bot("hang") as bot:
        await bot.retrain("/retrain shakespeare steps:8")
        await bot.wait(1, lambda job: job.metrics.get("step") == 3)
        status = (await bot.say("/job 1")).text
        assert (
            "training 38%" in status and "step 3/8" in status and "loss 2.625" in status and "ETA" in status
        )
        assert "GRU 1×16, 8 steps on shakespeare" in status and "Requested by telegram:4242" in status
        assert "Job #1 · shakespeare · training" in (await bot.say("/jobs")).text

        reply = await bot.say("/cancel 1")
        assert reply.text == "Job #1 (shakespeare) cancelled; the served model is unchanged."
        job = await bot.wait(1)
        assert job.state == "cancelled" and job.message == "cancelled by telegram:4242"
        assert (await bot.told(1)).text.startswith("⏹ Job #1 (shakespeare) was cancelled.")
        assert_dead(Path(job.metrics["run_dir"]))
        assert (await bot.say("/cancel 1")).text == "Job #1 has already ended (cancelled)."
        assert served(bot) == "1" and version_dirs(bot) == []


async def test_a_cancel_from_another_process_stops_the_running_job(open_bot: OpenBot) -> None:
    async with open_bot("hang") as bot, open_bot(run_jobs=False) as other:
        await bot.retrain("/retrain shakespeare steps:8")
        await bot.wait(1, lambda job: job.metrics.get("step") == 3)
        assert not (await other.say("/cancel 1")).error
        await bot.told(1)
        job = await bot.job(1)
        assert job.state == "cancelled"
        assert_dead(Path(job.metrics["run_dir"]))


async def test_jobs_run_one_at_a_time_in_order(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        first = await bot.say("/retrain shakespeare steps:20")
        second = await bot.say("/retrain dinos steps:5")
        assert "queued:" in first.text
        assert "(1 ahead of it)" in second.text or "queued:" in second.text
        one, two = await bot.wait(1), await bot.wait(2)
        assert (one.state, two.state) == ("succeeded", "succeeded")
        assert one.finished_at is not None and two.started_at is not None
        assert one.finished_at <= two.started_at


async def test_a_job_queued_without_a_worker_waits_and_can_be_cancelled(open_bot: OpenBot) -> None:
    async with open_bot(run_jobs=False) as bot:
        await bot.retrain("/retrain shakespeare steps:5")
        assert (await bot.job(1)).state == "queued"
        assert "queued" in (await bot.say("/job 1")).text
        await bot.say("/cancel 1")
        assert (await bot.job(1)).state == "cancelled"


async def test_a_restart_fails_the_job_it_interrupted(open_bot: OpenBot) -> None:
    async with open_bot("hang") as bot:
        await bot.retrain("/retrain shakespeare steps:8")
        run_dir = Path((await bot.wait(1, lambda job: job.metrics.get("step") == 3)).metrics["run_dir"])
    assert_dead(run_dir)  # stopping the bot killed the training process
    async with open_bot() as bot:
        job = await bot.job(1)
        assert job.state == "failed" and job.message == "interrupted: the bot stopped while it was running"


async def test_stopping_cuts_no_query_short_and_a_job_claimed_meanwhile_stays_queued(
    open_bot: OpenBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query cancelled mid-way leaves its pooled connection to a noisy reset during shutdown, so
    an idle worker finishes the poll it is in; a job it claims as the bot stops is put back."""
    async with open_bot(run_jobs=False) as bot:
        await bot.retrain("/retrain shakespeare steps:5")
    claiming, release, outcome = asyncio.Event(), asyncio.Event(), []
    real_claim = jobs.claim_next

    async def slow_claim(*args: object, **kwargs: object) -> object:
        claiming.set()
        try:
            await release.wait()
            claimed = await real_claim(*args, **kwargs)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        outcome.append("claimed")
        return claimed

    monkeypatch.setattr(jobs, "claim_next", slow_claim)
    opened = open_bot()
    await opened.__aenter__()
    await claiming.wait()
    stopping = asyncio.create_task(opened.__aexit__(None, None, None))
    await asyncio.sleep(0.05)  # the stop has begun: it waits for the poll
    assert not stopping.done()
    release.set()
    await stopping
    assert outcome == ["claimed"]
    monkeypatch.undo()
    async with open_bot(run_jobs=False) as bot:
        job = await bot.job(1)
        assert (job.state, job.worker_id, job.started_at) == ("queued", None, None)


async def test_a_job_left_running_by_a_dead_process_fails_at_start_up(open_bot: OpenBot) -> None:
    async with open_bot(run_jobs=False) as bot:
        await bot.retrain("/retrain shakespeare steps:5")
        await jobs.update_fields(bot.app.storage, 1, state="running")  # as a crashed bot leaves it
    async with open_bot() as bot:
        job = await bot.wait(1)
        assert job.state == "failed" and job.message.startswith("interrupted")
        told = (await bot.told(1)).text
        assert told.startswith("❌ Job #1 (shakespeare) failed.\ninterrupted: the bot stopped")


async def test_a_rollback_elsewhere_is_served_here(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        await bot.retrain("/retrain shakespeare steps:5")
        version = (await bot.wait(1)).metrics["version"]
        async with open_bot(run_jobs=False) as other:
            assert not (await other.say("/rollback shakespeare")).error
        await bot.wait(1, lambda _: served(bot) == "1")
        poem = await bot.say("/poem O")
        assert "v1" in poem.text and f"v{version}" not in poem.text


async def test_a_replica_without_the_worker_serves_new_versions_and_rollbacks(open_bot: OpenBot) -> None:
    async with open_bot() as bot, open_bot(run_jobs=False, retrain_worker=False) as replica:
        assert replica.app.jobs is not None and replica.app.jobs.worker is None
        await bot.retrain("/retrain shakespeare steps:5")
        version = (await bot.wait(1)).metrics["version"]
        await replica.wait(1, lambda _: served(replica) == version)
        assert f"v{version}" in (await replica.say("/poem O")).text
        assert not (await bot.say("/rollback shakespeare")).error
        await replica.wait(1, lambda _: served(replica) == "1")
        poem = await replica.say("/poem O")
        assert "v1" in poem.text and f"v{version}" not in poem.text


async def test_start_up_fails_only_jobs_whose_worker_is_gone(open_bot: OpenBot, database_url: str) -> None:
    async with open_bot(run_jobs=False, database_url=database_url) as bot:
        for _ in range(3):
            await bot.retrain("/retrain shakespeare steps:5")
        storage, now = bot.app.storage, utcnow()
        await jobs.update_fields(storage, 1, state="running", worker_id="elsewhere/live", heartbeat_at=now)
        stale = now - timedelta(hours=1)
        await jobs.update_fields(storage, 2, state="running", worker_id="elsewhere/dead", heartbeat_at=stale)
        await jobs.update_fields(storage, 3, state="cancelled")
    async with open_bot(database_url=database_url) as bot:
        job = await bot.wait(2)
        assert job.state == "failed" and job.message.startswith("interrupted")
        assert (await bot.told(2)).text.startswith("❌ Job #2 (shakespeare) failed.")
        assert (await bot.job(1)).state == "running"  # another machine's worker still beats on it


async def test_a_second_worker_leaves_the_job_a_live_worker_runs(
    open_bot: OpenBot, database_url: str, tmp_path: Path, bundled: Path
) -> None:
    async with open_bot("hang", database_url=database_url) as first:
        await first.retrain("/retrain shakespeare steps:8")
        running = await first.wait(1, lambda job: job.metrics.get("step") == 3)
        assert running.worker_id and running.heartbeat_at is not None
        elsewhere = job_settings(tmp_path / "elsewhere", bundled, database_url=database_url)
        async with Bardling(elsewhere) as second:  # another machine: its own data dir and lock
            assert second.jobs is not None and second.jobs.worker is not None
            assert not await second.jobs.worker.run_once()  # nothing queued, nothing abandoned
            assert (await second.jobs.get(1)).state == "running"
        assert (await first.job(1)).state == "running"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/retrain shakespeare steps:5 epochs:1", "Give steps or epochs, not both."),
        ("/retrain shakespeare mode:word", "mode is fixed for an existing model"),
        ("/retrain shakespeare cell:transformer", "cell must be one of rnn, gru, lstm."),
        ("/retrain shakespeare hidden:0", "hidden must be a whole number from 1 to 4096."),
        ("/retrain nosuch", "There is no model “nosuch”. Attach a UTF-8 text file"),
        ("/retrain Bad!Name", "A new model name is 1–32 characters"),
        ("/retrain", "Usage: /retrain <model>"),
        ("/job 99", "There is no job #99"),
        ("/rollback shakespeare", "has no earlier version to roll back to"),
        ("/rollback nosuch", "There is no model “nosuch”"),
    ],
)
async def test_bad_requests_get_a_clear_error_and_queue_nothing(
    open_bot: OpenBot, line: str, error: str
) -> None:
    async with open_bot(run_jobs=False) as bot:
        reply = await bot.say(line)
        assert reply.error and error in reply.text, reply.text
        assert await jobs.recent(bot.app.storage) == []


async def test_a_model_without_a_known_corpus_cannot_be_retrained(open_bot: OpenBot, bundled: Path) -> None:
    from tests.jobs.conftest import give_training_config

    give_training_config(bundled, "dinos", {"corpus": "/nowhere/dinos.txt"})
    async with open_bot(run_jobs=False) as bot:
        reply = await bot.say("/retrain dinos")
        assert reply.error and "was trained on “/nowhere/dinos.txt”" in reply.text
