"""What an admin can put in service: rollbacks only to versions that served, a gated activate, and
training processes bounded in memory."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.jobs.process import run_stage
from tests.jobs.conftest import OpenBot
from tests.support.tiny_models import make_tiny_model

VERSE = "shakespeare"


async def test_rollback_refuses_a_version_that_never_served_and_activate_gates_it(
    open_bot: OpenBot, tmp_path: Path
) -> None:
    models = tmp_path / "data" / "models" / VERSE
    make_tiny_model(models / "2", name=VERSE, version="2", seed=4, val_loss=1.4)
    make_tiny_model(models / "3", name=VERSE, version="3", seed=5, val_loss=9.0)
    make_tiny_model(models / "4", name=VERSE, version="4", seed=6, mode="line", kind="verse")
    async with open_bot(run_jobs=False) as bot:
        refused = await bot.say(f"/rollback {VERSE} 3")
        assert refused.error and "never been served" in refused.text
        worse = await bot.say(f"/activate {VERSE} 3")
        assert worse.error and worse.text.startswith("Not activated: validation loss 9.000, up 7.500")
        other = await bot.say(f"/activate {VERSE} 4")
        assert other.error and "tokenizes differently" in other.text
        better = await bot.say(f"/activate {VERSE} 2")
        assert not better.error and better.text.startswith(f"{VERSE} now serves version 2 (was 1)")
        assert not (await bot.say(f"/rollback {VERSE} 1")).error
        assert not (await bot.say(f"/rollback {VERSE} 2")).error  # it served: a rollback may return to it
        refused = await bot.say("/activate dinos 9", user="someone")
        assert refused.error and "admins only" in refused.text


async def test_a_training_process_cannot_take_more_memory_than_its_bound(tmp_path: Path) -> None:
    async def go_on() -> None:
        return None

    hog = "x = bytearray(800_000_000); print('allocated', flush=True)"
    finished = await run_stage(
        [sys.executable, "-c", hog], log_path=tmp_path / "log", nice=0, poll_s=0.05, check=go_on,
        memory_bytes=400_000_000,
    )  # fmt: skip
    log = (tmp_path / "log").read_text()
    assert finished.returncode != 0 and "MemoryError" in log and "allocated" not in log
