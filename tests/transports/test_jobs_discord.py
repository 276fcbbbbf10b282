"""Retraining from Discord: real discord.py, fake REST API and gateway, the stand-in trainer of tests/jobs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.storage import jobs
from tests.fakes.discord_api import ATTACHMENT_OPTION, FakeDiscord, Shown
from tests.jobs.fake_trainer import PNG
from tests.transports.bots import DISCORD_ADMIN, discord_bot
from tests.transports.conftest import BAD_UPLOADS, MB, MakeSettings, check_swap_and_rollback

ADMIN = DISCORD_ADMIN
USER = 4_242
CHANNEL = 55_555


@pytest.fixture
def settings(make_job_settings: MakeSettings, discord_api: FakeDiscord) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        return make_job_settings(discord_token=discord_api.token, **overrides)

    return make


async def slash(api: FakeDiscord, user: int, name: str, **options: Any) -> Shown:
    """What ``user`` sees after running ``/name`` in the test channel."""
    (shown,) = await api.shown(api.slash(user, name, channel_id=CHANNEL, **options), within=30)
    return shown


async def test_retrain_offers_an_optional_file_described_by_the_command(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()):
        options = {o["name"]: o for o in discord_api.command("retrain")["options"]}
        rollback = {o["name"] for o in discord_api.command("rollback")["options"]}
    assert options["file"]["type"] == ATTACHMENT_OPTION and not options["file"]["required"]
    assert options["file"]["description"] == "A UTF-8 text file to train a new model on"
    assert options["model"]["required"] and "steps" in options
    assert "file" not in rollback  # only commands that take a file offer one


async def test_an_admin_sees_one_edited_progress_message_then_the_curve_and_can_roll_back(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    posts_path = f"/channels/{CHANNEL}/messages"

    def with_file() -> bool:
        return any(p.files for p in discord_api.requests("POST", posts_path))

    async with discord_bot(settings()):
        queued = await slash(discord_api, ADMIN, "retrain", model="dinos", steps=20)
        await discord_api.wait_for(with_file, within=60)
        rolled = await slash(discord_api, ADMIN, "rollback", model="dinos")

    assert queued.content.startswith("Job #1 queued") and "train dinos on dinos" in queued.content
    assert not queued.ephemeral and len(queued.custom_ids) == 2  # status and cancel buttons
    progress, photo, *rest = discord_api.requests("POST", posts_path)
    edits = discord_api.requests("PATCH", f"{posts_path}/")
    assert edits, "progress is shown by editing the progress message"
    assert {e.message_id for e in edits} == {progress.message_id}
    assert edits[-1].body["content"].startswith("✅ Job #1")

    assert list(photo.files.values()) == [PNG]  # the loss curve, uploaded with the result
    result = photo.body.get("content") or rest[0].body["content"]
    check_swap_and_rollback(result, rolled.content)


async def test_a_non_admin_retrain_is_refused_and_nothing_is_queued(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    async with discord_bot(settings()) as (app, _):
        plain = await slash(discord_api, USER, "retrain", model="dinos", steps=20)
        upload = await slash(discord_api, USER, "retrain", model="verses", file=("v.txt", b"Shall I"))
        assert await jobs.recent(app.storage) == []
    for refusal in (plain, upload):
        assert refusal.ephemeral and refusal.content == "/retrain is for admins only."


async def test_an_attached_text_file_queues_a_job_for_a_new_model(
    settings: MakeSettings, discord_api: FakeDiscord
) -> None:
    text = "Shall I compare thee to a summer's day?\n" * 20
    async with discord_bot(settings()) as (app, _):
        file = ("verses.txt", text.encode())
        queued = await slash(discord_api, ADMIN, "retrain", model="verses", mode="char", file=file)
        (job,) = await jobs.recent(app.storage)
    assert queued.content.startswith("Job #1 queued") and "train verses on an uploaded text" in queued.content
    assert job.model == "verses" and job.params["new_model"]


@BAD_UPLOADS
async def test_a_bad_attachment_gets_a_clear_error_and_queues_nothing(
    settings: MakeSettings, discord_api: FakeDiscord, content: bytes, error: str
) -> None:
    async with discord_bot(settings(retrain_max_upload_bytes=MB)) as (app, _):
        reply = await slash(discord_api, ADMIN, "retrain", model="verses", file=("verses.txt", content))
        assert await jobs.recent(app.storage) == []
    assert reply.ephemeral and error in reply.content
    assert bool(discord_api.downloads) == (len(content) <= MB)  # an oversize file is not fetched
