"""SIGKILL in the middle of a storm of saves: every save the user saw acknowledged survives.

``bardling chat`` runs as a real process on SQLite, fed through a pipe. It makes generations, then
gets a burst of ``/fav`` lines and is killed after some of them were acknowledged on its stdout.
The database must open clean (``PRAGMA integrity_check``), hold every acknowledged favourite,
and serve the next start normally.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.console.test_console import CHAT, chat_env
from tests.support.processes import reaped

GENERATIONS = 120
KILL_AFTER_ACKS = 40
SAVED = re.compile(r"⭐ Saved #(\d+) to your favourites\.")


@pytest.mark.slow
async def test_acknowledged_saves_survive_sigkill(tmp_path: Path, tiny_models: Path) -> None:
    env = chat_env(tmp_path, tiny_models, BARDLING_RATE_LIMIT_BURST="100000")
    proc = await asyncio.create_subprocess_exec(
        *CHAT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdin is not None and proc.stdout is not None
    made: list[int] = []
    acked: list[int] = []
    async with reaped(proc):
        proc.stdin.write(b"/poem a length:2\n" * GENERATIONS)
        await proc.stdin.drain()
        while len(made) < GENERATIONS:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
            assert line, "the bot exited early"
            if match := re.match(r"#(\d+) · shakespeare", line):
                made.append(int(match.group(1)))
        proc.stdin.write(b"".join(f"/fav {i}\n".encode() for i in made))
        await proc.stdin.drain()
        while len(acked) < KILL_AFTER_ACKS:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
            if match := SAVED.search(line):
                acked.append(int(match.group(1)))
        proc.send_signal(signal.SIGKILL)  # once: a second kill() could reap it (see ``reaped``)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) < GENERATIONS  # killed mid-storm, not after it

    db = sqlite3.connect(tmp_path / "data" / "bardling.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        saved = {row[0] for row in db.execute("SELECT generation_id FROM favourites")}
    finally:
        db.close()
    assert set(acked) <= saved

    restart = await asyncio.to_thread(
        subprocess.run, CHAT, input="/favs\n", env=env, capture_output=True, text=True, timeout=120
    )
    assert restart.returncode == 0, restart.stderr
    assert "Your favourites, page 1 of" in restart.stdout
