"""Retraining from Telegram: real python-telegram-bot, fake Bot API, the stand-in trainer of tests/jobs."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.storage import jobs
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.jobs.fake_trainer import PNG
from tests.transports.bots import TELEGRAM_ADMIN, telegram_bot
from tests.transports.conftest import BAD_UPLOADS, MB, MakeSettings, check_swap_and_rollback

ADMIN = TELEGRAM_ADMIN
USER = 42


@pytest.fixture
def settings(make_job_settings: MakeSettings, telegram_api: FakeTelegram) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        platform = {"telegram_token": telegram_api.token, "telegram_base_url": telegram_api.base_url}
        return make_job_settings(**platform, **overrides)

    return make


async def answer(api: FakeTelegram, chat: int, count: int) -> Call:
    """The ``count``-th message sent to ``chat``."""
    return (await api.wait_sent(chat, count))[count - 1]


async def test_an_admin_sees_one_edited_progress_message_then_the_curve_and_can_roll_back(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(ADMIN, "/retrain dinos steps:20")
        (photo,) = await telegram_api.wait_sent(ADMIN, method="sendPhoto", within=60)
        sent_before_rollback = len(telegram_api.sent(ADMIN))
        telegram_api.send_text(ADMIN, "/rollback dinos")
        rolled = await answer(telegram_api, ADMIN, sent_before_rollback + 1)

    messages = telegram_api.sent(ADMIN)[:sent_before_rollback]
    queued = next(m for m in messages if m.text.startswith("Job #1 queued"))
    assert "train dinos on dinos" in queued.text
    assert [label for label, _ in queued.buttons()] == ["📊 Status", "⏹ Cancel"]
    (progress,) = [m for m in messages if m is not queued and not m.text.startswith("✅ Job #1: dinos")]
    edits = telegram_api.sent(ADMIN, "editMessageText")
    assert edits, "progress is shown by editing the progress message"
    assert {int(e.params["message_id"]) for e in edits} == {progress.result["message_id"]}
    assert edits[-1].text.startswith("✅ Job #1")

    assert photo.files["photo"].startswith(PNG)  # the loss curve
    result = photo.text or messages[-1].text  # a caption, or the text after the photo if too long
    check_swap_and_rollback(result, rolled.text)


async def test_a_non_admin_retrain_is_refused_and_nothing_is_queued(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        telegram_api.send_text(USER, "/retrain dinos steps:20")
        telegram_api.send_document(USER, "verses.txt", b"Shall I compare thee", caption="/retrain verses")
        refusals = await telegram_api.wait_sent(USER, 2)
        assert await jobs.recent(app.storage) == []
    assert [r.text for r in refusals] == ["/retrain is for admins only."] * 2


async def test_an_uploaded_text_file_queues_a_job_for_a_new_model(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    text = "Shall I compare thee to a summer's day?\n" * 20
    async with telegram_bot(settings()) as (app, _):
        telegram_api.send_document(ADMIN, "verses.txt", text.encode(), caption="/retrain verses mode:char")
        queued = await answer(telegram_api, ADMIN, 1)
        (job,) = await jobs.recent(app.storage)
    assert queued.text.startswith("Job #1 queued") and "train verses on an uploaded text" in queued.text
    assert job.model == "verses" and job.params["new_model"]


@BAD_UPLOADS
async def test_a_bad_upload_gets_a_clear_error_and_queues_nothing(
    settings: MakeSettings, telegram_api: FakeTelegram, content: bytes, error: str
) -> None:
    async with telegram_bot(settings(retrain_max_upload_bytes=MB)) as (app, _):
        telegram_api.send_document(ADMIN, "verses.txt", content, caption="/retrain verses")
        reply = await answer(telegram_api, ADMIN, 1)
        assert await jobs.recent(app.storage) == []
    assert error in reply.text
    assert bool(telegram_api.downloads) == (len(content) <= MB)  # an oversize file is not fetched
