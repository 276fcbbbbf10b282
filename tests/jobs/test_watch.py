"""The models watch sees every swap made elsewhere, even one undone before it looked."""

from __future__ import annotations

from pathlib import Path

from artifact.files import write_atomic
from bot.engine.registry import ACTIVE_FILE, HISTORY_FILE
from bot.jobs.watch import ActiveFilesWatch


class Served:
    """What the watch needs of an engine: where retrained versions live, and a rescan."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1


def test_a_pin_that_came_and_went_between_two_polls_is_seen(tmp_path: Path) -> None:
    model = tmp_path / "shakespeare"
    model.mkdir()
    served = Served(tmp_path)
    watch = ActiveFilesWatch(served, poll_s=60)  # type: ignore[arg-type]
    assert not watch.check()
    # A retrain here pins version 2; before the next poll, a rollback elsewhere goes back to the
    # bundled version, which removes the pin: the active files look as they did, the history not.
    write_atomic(model / HISTORY_FILE, "1\n")
    write_atomic(model / ACTIVE_FILE, "2\n")
    (model / ACTIVE_FILE).unlink()
    write_atomic(model / HISTORY_FILE, "")
    assert watch.check() and served.reloads == 1
    assert not watch.check()  # nothing new since
