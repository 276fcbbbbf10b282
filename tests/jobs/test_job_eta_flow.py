"""A job's ETA, end to end: the stages after training are timed, and the next job's notices count
them in, so the ETA is still shown while it exports and checks."""

from __future__ import annotations

from bot.jobs.eta import AFTER_TRAINING, JOB_ETA
from tests.jobs.conftest import OpenBot


async def test_after_training_stages_are_timed_and_counted_in_the_eta(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        await bot.say("/retrain shakespeare steps:20 hidden:32")
        first = await bot.wait(1)
        assert first.state == "succeeded", first.message
        assert first.metrics[AFTER_TRAINING] > 0 and first.metrics[JOB_ETA] == 0.0
        shown = [n.text for n in bot.notices.sent if n.key == "job-1"]
        assert any("training" in text and "ETA" in text for text in shown)
        assert any("exporting" in text and "ETA" in text for text in shown), shown
