"""The Tang prosody table built from the Pingshui dictionary, and the shipped model's copy of it."""

from __future__ import annotations

from pathlib import Path

from artifact.corpora import Corpus
from artifact.manifest import sha256_file
from artifact.tang_prosody import BOTH, LEVEL, OBLIQUE, PROSODY_FILE, Prosody
from training.decoding import derive_rules, write_rules
from training.prosody import build_prosody

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models" / "tang" / "prosody.tsv"


def test_simplified_characters_get_their_traditional_forms_readings() -> None:
    table = build_prosody("东风国看啼a")
    assert table["东"].tone == LEVEL and table["东"].groups == ("上平一东",)  # 東, via OpenCC
    assert table["国"].tone == OBLIQUE and table["国"].source == "pingshui"  # 國, an entering tone
    assert table["看"].tone == BOTH  # 寒 and 翰: fits either position
    assert table["啼"].source == "modern" and table["啼"].tone == LEVEL and not table["啼"].groups
    assert "a" not in table.readings


def test_the_shipped_table_is_what_the_builder_writes(tmp_path: Path) -> None:
    shipped = Prosody.read(SHIPPED)
    sample = sorted(shipped.readings)[::97]
    built = build_prosody(sample)
    built.write(tmp_path / "t.tsv")
    assert Prosody.read(tmp_path / "t.tsv").readings == {c: shipped[c] for c in sample}


def test_export_writes_the_table_and_the_corpus_shapes(tmp_path: Path) -> None:
    poems = ["白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"] * 3 + [
        "床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 2
    ]
    corpus = Corpus("tiny-tang", "lines", "0" * 64, {"all": "\n".join(poems)})
    decoding = write_rules(tmp_path, *derive_rules("line", "verse", corpus))
    assert decoding.form == "regulated" and decoding.shapes == {"4x5": 0.75, "8x5": 0.25}
    assert decoding.prosody == PROSODY_FILE
    assert decoding.prosody_sha256 == sha256_file(tmp_path / PROSODY_FILE)
    assert Prosody.read(tmp_path / PROSODY_FILE)["楼"].groups == ("下平十一尤",)
