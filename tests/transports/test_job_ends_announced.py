"""Every job that ends is announced, however it ends: also one cut short by a restart of the bot."""

from __future__ import annotations

from bot.storage import jobs
from tests.fakes.telegram_api import FakeTelegram
from tests.transports.bots import TELEGRAM_ADMIN, telegram_bot
from tests.transports.conftest import MakeSettings

ADMIN = TELEGRAM_ADMIN


async def test_a_job_interrupted_by_a_restart_edits_its_notice_and_tells_the_admin(
    make_job_settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    platform = {"telegram_token": telegram_api.token, "telegram_base_url": telegram_api.base_url}
    async with telegram_bot(make_job_settings("hang", **platform)) as (app, _):
        telegram_api.send_text(ADMIN, "/retrain dinos steps:20")
        queued, progress = await telegram_api.wait_sent(ADMIN, 2)
    assert queued.text.startswith("Job #1 queued") and progress.text.startswith("⏳ Job #1")

    async with telegram_bot(make_job_settings("ok", **platform)) as (app, _):
        told = await telegram_api.wait_sent(ADMIN, 3)
        (job,) = await jobs.recent(app.storage)
    assert job.state == "failed" and job.message.startswith("interrupted")
    edits = telegram_api.sent(ADMIN, "editMessageText")
    assert edits and int(edits[-1].params["message_id"]) == progress.result["message_id"]
    assert edits[-1].text.startswith("❌ Job #1 · dinos · failed — interrupted")
    assert told[2].text.startswith("❌ Job #1 (dinos) failed.")
    assert len(telegram_api.sent(ADMIN)) == 3  # told once
