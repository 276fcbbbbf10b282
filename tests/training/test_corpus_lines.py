"""Line views of a registered corpus: ``title:content`` files train on contents, checksums stay raw."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from artifact.corpora import CORPORA, CorpusError, CorpusFile, CorpusSpec, load_corpus
from artifact.verse_form import is_ideograph, is_regulated
from training.data import LineData, dataset_for
from training.generation import model_kind

from .texts import corpora_dir

RAW = (
    "春晓:春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n"
    "静夜思:床前明月光，疑是地上霜。举头望明月，低头思故乡。\n"
    "登鹳雀楼 其一:白日依山尽，黄河入海流。欲穷千里目，更上一层楼。:\n"  # only the first ':' cuts
    "无题之诗\n"  # no separator: kept whole
    "空:\n"  # nothing after the separator: no line at all
    "长诗:一二三四五，六七八九十。一二三四五，六七八九十。一二三四五，六七八九十。\n"
).encode()


def _registry(sha: str, **view: object) -> dict[str, CorpusSpec]:
    spec = CorpusSpec("poems", "lines", (CorpusFile("poems.txt", sha),), **view)  # type: ignore[arg-type]
    return {"poems": spec}


def _load(tmp_path: Path, registry: dict[str, CorpusSpec], data: bytes = RAW) -> tuple[str, str]:
    (tmp_path / "poems.txt").write_bytes(data)
    corpus = load_corpus("poems", corpora_dir=tmp_path, cache_dir=tmp_path / "cache", registry=registry)
    return corpus.texts["all"], corpus.sha256


def test_lines_keep_what_follows_the_first_separator(tmp_path: Path) -> None:
    sha = hashlib.sha256(RAW).hexdigest()
    text, corpus_sha = _load(tmp_path, _registry(sha, line_body_after=":"))
    assert text.split("\n") == [
        "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
        "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
        "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。:",
        "无题之诗",
        "一二三四五，六七八九十。一二三四五，六七八九十。一二三四五，六七八九十。",
        "",
    ]
    assert corpus_sha == sha  # the checksum is the raw file's, titles and all


def test_lines_longer_than_the_cap_are_left_out(tmp_path: Path) -> None:
    sha = hashlib.sha256(RAW).hexdigest()
    text, _ = _load(tmp_path, _registry(sha, line_body_after=":", max_line_chars=25))
    assert [len(ln) for ln in text.splitlines()] == [24, 24, 25, 4]


def test_the_raw_file_is_still_verified(tmp_path: Path) -> None:
    registry = _registry(hashlib.sha256(RAW).hexdigest(), line_body_after=":")
    with pytest.raises(CorpusError, match="does not match"):
        _load(tmp_path, registry, RAW.replace("春晓".encode(), "秋晓".encode()))  # a title alone


def test_a_line_data_split_sees_contents_only(tmp_path: Path) -> None:
    registry = _registry(hashlib.sha256(RAW).hexdigest(), line_body_after=":")
    (tmp_path / "poems.txt").write_bytes(RAW)
    corpus = load_corpus("poems", corpora_dir=tmp_path, cache_dir=tmp_path / "cache", registry=registry)
    data = dataset_for(corpus, {"val_fraction": 0.2})
    assert isinstance(data, LineData)
    assert not any("春晓" in ln or "静夜思" in ln for ln in data.train_lines + data.val_lines)
    assert "晓" in data.tokenizer.vocab and ":" in data.tokenizer.vocab  # from the third poem's end


def test_a_verse_corpus_of_lines_exports_as_verse() -> None:
    assert model_kind("line", "tang") == "verse"
    assert model_kind("line", "dinos") == "names" and model_kind("line", None) == "names"
    assert model_kind("char", "shakespeare") == "verse"


TANG = CORPORA["tang"].files[0].path
_dir = corpora_dir()
needs_tang = pytest.mark.skipif(
    _dir is None or not (_dir / TANG).is_file(),
    reason=f"BARDLING_CORPORA_DIR does not hold the verified {TANG}",
)


@needs_tang
def test_tang_trains_on_short_poem_contents(tmp_path: Path) -> None:
    assert _dir is not None
    corpus = load_corpus("tang", corpora_dir=_dir, cache_dir=tmp_path / "cache")
    assert corpus.sha256 == CORPORA["tang"].files[0].sha256
    lines = corpus.texts["all"].splitlines()
    assert len(lines) == 37_012  # of 44,463 poems, those of at most 64 characters
    assert all(len(ln) <= 64 for ln in lines)
    assert all(is_ideograph(c) or c in "，。？！；" for ln in lines for c in ln)  # no title survives
    assert sum(map(is_regulated, lines)) / len(lines) >= 0.95  # served in the regulated form


@needs_tang
def test_tang_vocabulary_at_min_freq_8_covers_the_text(tmp_path: Path) -> None:
    """The shipped model's setting: rarer characters become ``<unk>``, 99.5 % or more stay."""
    assert _dir is not None
    corpus = load_corpus("tang", corpora_dir=_dir, cache_dir=tmp_path / "cache")
    data = dataset_for(corpus, {"min_freq": 8})
    assert isinstance(data, LineData) and data.tokenizer.unk_id is not None
    assert len(data.tokenizer) == 3_982
    unk = data.tokenizer.unk_id
    for split in (data.train, data.val):
        chars = sum(len(ids) - 2 for ids in split)
        assert sum(ids.count(unk) for ids in split) / chars <= 0.005
