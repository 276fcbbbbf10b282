"""Every bundled model card's Reproduce block works as written in a fresh clone: each command
parses with the real CLI, its corpus can be fetched or built, and an export onto a folder that
the repository already has says ``--force``. (Nothing is run: training takes minutes to hours.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from artifact.corpora import CORPORA
from bot.cli import app

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "exported_models").glob("*/README.md"))
BLOCK = re.compile(r"## Reproduce\n.*?```sh\n(.*?)```", re.S)


def reproduce_lines(card: Path) -> list[list[str]]:
    match = BLOCK.search(card.read_text("utf-8"))
    assert match, f"{card.parent.name}: no Reproduce block"
    return [shlex.split(line, comments=True) for line in match.group(1).splitlines() if line.strip()]


@pytest.mark.parametrize("card", CARDS, ids=[c.parent.name for c in CARDS])
def test_the_reproduce_block_parses_and_can_run_in_a_fresh_clone(card: Path) -> None:
    group = typer.main.get_command(app)
    commands = reproduce_lines(card)
    assert [c[:2] for c in commands] == [
        ["bardling", "train"],
        ["bardling", "export"],
        ["bardling", "evaluate"],
    ]
    for argv in commands:
        command = group.commands[argv[1]]  # type: ignore[attr-defined]
        with command.make_context(argv[1], argv[2:]) as ctx:  # parses and checks every option
            params = ctx.params
        if argv[1] == "train":
            spec = CORPORA[params["corpus"]]
            assert all(f.urls or f.build for f in spec.files), f"{spec.name} cannot be fetched or built"
        if argv[1] == "export" and params["out"] is not None:
            out = Path(params["out"])
            assert not out.is_absolute()
            assert params["force"] or not (ROOT / out).exists(), f"{' '.join(argv)}: needs --force"


def test_a_generated_card_replaces_its_folder_with_force(tmp_path: Path) -> None:
    from artifact.manifest import Manifest
    from training.card import write_card

    manifest = Manifest.read(ROOT / "exported_models" / "dinos")
    card = write_card(tmp_path, manifest, "dinos-run", Path("exported_models/dinos"))
    export = next(argv for argv in reproduce_lines(card) if argv[1] == "export")
    assert export[export.index("--out") + 1 : export.index("--out") + 3] == [
        "exported_models/dinos",
        "--force",
    ]
