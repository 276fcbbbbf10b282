"""The gate measures the served version's loss itself: an edited manifest cannot let a worse one in."""

from __future__ import annotations

import json
from pathlib import Path

from artifact.manifest import MANIFEST_FILE
from tests.jobs.conftest import OpenBot


def raise_served_loss(bundled: Path, model: str, loss: float) -> None:
    path = bundled / model / MANIFEST_FILE
    document = json.loads(path.read_text("utf-8"))
    document.pop("content_sha256", None)  # as a manifest from before checksums, which still loads
    document["metrics"]["val_loss"] = loss
    path.write_text(json.dumps(document), "utf-8")


async def test_a_raised_loss_in_the_served_manifest_does_not_let_a_worse_version_pass(
    open_bot: OpenBot, bundled: Path
) -> None:
    raise_served_loss(bundled, "shakespeare", 50.0)
    async with open_bot("worse") as bot:
        job = await bot.wait(await bot.retrain("/retrain shakespeare steps:5"))
        assert job.state == "rejected", job.message
        assert (
            job.message == "Rejected: validation loss 9.000, up 7.500 from 1.500 (over the 0.02 tolerance)."
        )
        assert bot.app.jobs.engine.active_version("shakespeare") == "1"  # type: ignore[union-attr]


async def test_a_served_version_that_cannot_be_measured_fails_the_job(open_bot: OpenBot) -> None:
    async with open_bot("evaluate_fail") as bot:
        job = await bot.wait(await bot.retrain("/retrain shakespeare steps:5"))
    assert job.state == "failed"
    assert job.message.startswith("the served version's validation loss could not be measured")
    assert "is not the text dinos was trained on" in job.message
