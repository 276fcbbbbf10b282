"""The Tang measures on poems whose rhyme and pattern are known, with the shipped model's table."""

from __future__ import annotations

from pathlib import Path

from artifact.tang_prosody import Prosody, modern_class, scan, shape_shares
from bot.quality import tang
from bot.quality.measures import Sample

TABLE = Prosody.read(Path(__file__).resolve().parents[2] / "exported_models" / "tang" / "prosody.tsv")
STORK_TOWER = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"  # 仄起, 首句不入韵, 十一尤
BROKEN = "白日依山尽，黄河入海流。欲穷千里目，更上一层月。"  # the last rhyme swapped for an oblique word


def test_a_regulated_quatrain_rhymes_in_one_group_and_fits_its_pattern() -> None:
    scansion = scan(STORK_TOWER, TABLE)
    assert scansion is not None
    assert scansion.shape == "4x5"
    assert scansion.rhyme_groups == {"下平十一尤"}
    assert scansion.modern_rhyme
    assert scansion.judged >= 8 and scansion.fitting == scansion.judged


def test_a_broken_rhyme_and_a_seed_are_measured_as_such() -> None:
    broken = scan(BROKEN, TABLE)
    assert broken is not None and not broken.rhyme_groups and not broken.modern_rhyme
    assert scan("白日依山尽，黄河入海流。", TABLE) is None  # not a whole poem
    seeded = scan(STORK_TOWER, TABLE, skip=12)  # the first couplet was the user's
    assert seeded is not None and seeded.judged < scan(STORK_TOWER, TABLE).judged  # type: ignore[union-attr]


def test_modern_classes_merge_medials() -> None:
    assert modern_class("ian") == modern_class("an") == modern_class("uan")
    assert modern_class("ou") != modern_class("an")
    assert modern_class("") is None


def test_figures_and_shapes() -> None:
    samples = [Sample(STORK_TOWER), Sample(BROKEN), Sample("not a poem")]
    figures = tang.rhyme_figures(samples, TABLE)
    assert figures["even lines in one Pingshui group"] == "33.3 %"
    assert figures["shapes 8x5/4x7/8x7/4x5"] == "0 / 0 / 0 / 2"
    assert shape_shares([STORK_TOWER, STORK_TOWER, "x"]) == {"4x5": 1.0}
    chars = tang.CorpusChars(STORK_TOWER * 3)
    copied = chars.figures([Sample(STORK_TOWER, 6)])
    assert copied["chars in 10+ char copies of the corpus"] == "100.0 %"
    assert chars.rare_share(["白日"]) == 1.0
