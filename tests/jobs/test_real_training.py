"""Jobs that run the real ``bardling train`` and ``bardling export`` in a child process.

The served models are tiny stand-ins with a poor validation loss, so a short real run passes the
gate whatever the machine; the gate itself is tested with the stand-in trainer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from artifact.manifest import Manifest
from tests.jobs.conftest import OpenBot, give_training_config
from tests.training.texts import VERSE, needs_corpora

pytestmark = pytest.mark.slow
DINOS_SHA256 = "ad6465621cf56c08f71d4fbb40cf7eab763f9df42c54cc460d6c4d86e9c927fb"


async def test_a_real_run_trains_an_uploaded_text_into_a_served_model(
    open_bot: OpenBot, tmp_path: Path
) -> None:
    corpus = tmp_path / "verse.txt"
    corpus.write_text(VERSE * 4, "utf-8")
    async with open_bot(retrain_command=[], retrain_poll_s=0.2, retrain_threads=1) as bot:
        job_id = await bot.retrain(
            "/retrain verse steps:4 hidden:16 emb:8 batch:4 seq_len:32 mode:char", attachment=corpus
        )
        job = await bot.wait(job_id)
        assert job.state == "succeeded", f"{job.message}\n{_log(job.metrics)}"
        assert (Path(job.metrics["run_dir"]) / "loss.png").is_file()
        told = await bot.told(job_id)
        assert told.image is not None and told.text.count("\n• ") == 3
        poem = await bot.say("/poem Shall model:verse")
        assert not poem.error and f"verse v{job.metrics['version']}" in poem.text


@needs_corpora
async def test_dinos_retrains_on_its_corpus_is_swapped_in_and_rolled_back(
    open_bot: OpenBot, bundled: Path
) -> None:
    stand_in = Manifest.read(bundled / "dinos")  # lower-case names from the real corpus, badly
    stand_in.tokenizer["lowercase"] = True
    stand_in.corpus = stand_in.corpus.model_copy(update={"name": "dinos", "sha256": DINOS_SHA256})
    stand_in.metrics.val_loss = 10.0
    stand_in.write(bundled / "dinos")
    give_training_config(
        bundled, "dinos", {"corpus": "dinos", "mode": "line", "lowercase": True, "hidden": 16}
    )
    corpora = Path(os.environ["BARDLING_CORPORA_DIR"])
    async with open_bot(
        retrain_command=[], corpora_dir=corpora, retrain_poll_s=0.2, retrain_threads=1
    ) as bot:
        job_id = await bot.retrain("/retrain dinos steps:20 hidden:32 emb:16 batch:32")
        job = await bot.wait(job_id)
        assert job.state == "succeeded", f"{job.message}\n{_log(job.metrics)}"
        # the served loss is measured, not read from the stand-in's manifest (10.0)
        assert job.message.startswith("Gate passed: validation loss") and "down from" in job.message
        assert "10.000" not in job.message
        version = job.metrics["version"]
        names = await bot.say("/dinoname 3")
        assert not names.error and f"dinos v{version}" in names.text
        assert "earlier: v1 (val 10.000)" in (await bot.say("/models")).text

        rolled = await bot.say("/rollback dinos")
        assert rolled.text == f"dinos now serves version 1 (was {version})."
        assert "dinos v1" in (await bot.say("/dinoname 2")).text


def _log(metrics: dict[str, str]) -> str:
    path = Path(metrics.get("log", ""))
    return path.read_text("utf-8")[-2000:] if path.is_file() else ""
