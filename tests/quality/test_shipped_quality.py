"""The shipped models, served through the engine as the bot serves them, against the quality bars.

Smaller draws than the cards' (`bardling evaluate`), so the suite stays quick; the bars are the
same. Measures that need the training text skip without the verified corpora.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from artifact.corpora import load_corpus
from artifact.manifest import Manifest
from artifact.tang_prosody import PROSODY_FILE, Prosody
from bot.engine import Engine
from bot.quality import served
from tests.training.texts import corpora_dir, needs_corpora
from training.data import LineData, dataset_for

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    async with Engine(SHIPPED, device="cpu", threads=1) as served_engine:
        yield served_engine


def _corpus(name: str, tmp_path: Path) -> served.Corpus:
    source = load_corpus(name, corpora_dir=corpora_dir(), cache_dir=tmp_path)
    text = "\n".join(source.texts.values())
    manifest = Manifest.read(SHIPPED / name)
    if manifest.kind != "names":
        return served.Corpus(text)
    data = dataset_for(source, dict(manifest.training["config"]), manifest.build_tokenizer())
    assert isinstance(data, LineData)
    return served.Corpus(text, data.train_lines, data.val_lines)


def _percent(value: str) -> float:
    return float(value.removesuffix(" %"))


@needs_corpora
@pytest.mark.parametrize("model", ["shakespeare", "sonnets"])
async def test_poems_are_real_words_not_copies_and_end_at_a_sentence(
    engine: Engine, model: str, tmp_path: Path
) -> None:
    figures = await served.verse_report(engine, model, 12, _corpus(model, tmp_path), None)
    assert _percent(figures["words in the corpus vocabulary"]) == 100.0
    assert _percent(figures["chars in 40+ char copies of the corpus"]) < 10.0
    assert _percent(figures["ending at a sentence end"]) == 100.0
    assert _percent(figures["lines starting with a capital"]) == 100.0


@needs_corpora
async def test_dinosaur_names_are_new(engine: Engine, tmp_path: Path) -> None:
    figures = await served.names_report(engine, "dinos", 200, _corpus("dinos", tmp_path))
    assert _percent(figures["new"]) >= 95.0
    assert _percent(figures["replies with a repeated name"]) == 0.0
    assert _percent(next(v for k, v in figures.items() if k.startswith("length within"))) == 100.0


async def test_tang_poems_keep_the_form_and_the_acrostic(engine: Engine) -> None:
    figures = await served.regulated_report(engine, "tang", 24, acrostics=True)
    assert _percent(figures["well-formed"]) == 100.0
    assert _percent(figures["acrostic: well-formed, lines start as asked"]) == 100.0


async def test_tang_poems_rhyme_and_keep_the_pattern(engine: Engine) -> None:
    prosody = Prosody.read(SHIPPED / "tang" / PROSODY_FILE)  # copies: `bardling evaluate` (0.0 %)
    figures = await served.regulated_report(engine, "tang", 40, acrostics=True, prosody=prosody)
    for label in ("", "acrostic: "):
        assert _percent(figures[f"{label}even lines in one Pingshui group"]) >= 95.0
        fit = next(v for k, v in figures.items() if k.startswith(f"{label}tone fit"))
        assert _percent(fit) >= 90.0


async def test_the_tang_model_mostly_writes_the_form_on_its_own() -> None:
    async with Engine(SHIPPED, device="cpu", threads=1, decoding_rules=False) as free:
        figures = await served.regulated_report(free, "tang", 50, acrostics=False)
    assert _percent(figures["well-formed"]) >= 80.0
