"""Every model card says under which terms its training data came, generated and shipped alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact.manifest import CARD_FILE, Manifest
from training.card import DATA_LICENCES, data_licence, write_card

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"
CARDS = sorted(SHIPPED.iterdir())


@pytest.mark.parametrize("directory", CARDS, ids=lambda p: p.name)
def test_every_card_names_its_data_licence(directory: Path, tmp_path: Path) -> None:
    manifest = Manifest.read(directory)
    line = f"Data licence: {data_licence(manifest.corpus.name)}"
    assert manifest.corpus.name in DATA_LICENCES
    assert line in (directory / CARD_FILE).read_text("utf-8")
    generated = write_card(tmp_path, manifest, "run1", Path("out")).read_text("utf-8")
    assert line in generated


def test_a_local_corpus_file_gets_a_line_too() -> None:
    assert "its owner" in data_licence("my_own_poems")
