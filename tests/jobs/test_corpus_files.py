"""``bardling jobs start --corpus``: regular files only, read no further than the limit, exact sizes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.jobs.test_cli import env

__all__ = ["env"]


def start(env: dict[str, str], corpus: Path | str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["jobs", "start", "fresh", "--corpus", str(corpus), "--detach"],
        env={**env, "BARDLING_RETRAIN_MAX_UPLOAD_BYTES": "10000000"},
    )  # fmt: skip
    return result.exit_code, result.output


@pytest.mark.timeout(60)
def test_devices_pipes_and_directories_are_refused_without_reading_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading would wait for ever
    for corpus, expected in [
        ("/dev/zero", "not a regular file"),
        (fifo, "not a regular file"),
        (tmp_path, "is a directory"),
    ]:
        code, output = start(env, corpus)
        assert code == 1 and expected in output and "Traceback" not in output, output


def test_a_file_over_the_limit_is_refused_with_exact_sizes(env: dict[str, str], tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 10_000_001)
    code, output = start(env, big)
    assert code == 1 and "The attached file is 10,000,001 bytes; the limit is 10,000,000." in output
