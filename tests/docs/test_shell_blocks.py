"""Every shell block of the README and the docs runs as written, so the docs cannot go stale.

A block fenced as ```sh (or bash, shell) runs with ``bash -e`` in a fresh directory that mirrors
the checkout (its top-level entries linked in), with this environment's ``bardling`` and
``python`` first on PATH, an empty data dir, tiny stand-ins for the bundled models (the bot
starts in a second) and no network. A block that cannot run here (it
needs a token, Docker, root, the network, or minutes of training) says so in an HTML comment on
the line before its fence: ``<!-- not run by tests: why -->``; any other fence (```text) is not
a command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.tiny_models import make_tiny_models_dir

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "deploy/README.md",
    ROOT / "bench/README.md",
]
SHELLS = {"sh", "bash", "shell"}
SKIP = re.compile(r"<!-- not run by tests: .+ -->")
TIMEOUT_S = 60


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    code: str
    skip: str | None

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def shell_blocks(path: Path) -> list[Block]:
    blocks, lines = [], path.read_text("utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^(\s*)```(\S*)\s*$", lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        if fence.group(2) in SHELLS:
            indent = len(fence.group(1))
            code = "\n".join(line[indent:] for line in lines[index + 1 : end])
            previous = lines[index - 1].strip() if index else ""
            skip = previous if SKIP.fullmatch(previous) else None
            blocks.append(Block(path, index + 1, code, skip))
        index = end + 1
    return blocks


BLOCKS = [block for path in DOCS for block in shell_blocks(path)]


def test_the_docs_have_shell_blocks_to_run() -> None:
    assert sum(block.skip is None for block in BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=str)
def test_shell_block_runs(block: Block, tmp_path: Path) -> None:
    if block.skip is not None:
        pytest.skip(block.skip)
    for entry in ROOT.iterdir():
        if entry.name != ".git":
            (tmp_path / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BARDLING_")}
    env |= {
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path / "home"),
        "BARDLING_DATA_DIR": str(tmp_path / "data"),
        "BARDLING_CONFIG_FILE": str(tmp_path / "none.toml"),
        "BARDLING_ENGINE_THREADS": "1",
        "BARDLING_DEVICE": "cpu",
        # tiny stand-ins keep the bot's start quick; the commands are what is tested
        "BARDLING_BUNDLED_MODELS_DIR": str(make_tiny_models_dir(tmp_path / "tiny_models")),
    }
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.code],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert result.returncode == 0, f"{block} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
