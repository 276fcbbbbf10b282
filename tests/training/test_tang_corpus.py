"""The tang corpus builder, offline: a hand-made sample in the chinese-poetry JSON format."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from artifact.corpora import CORPORA, CorpusError, CorpusFile, CorpusSpec, availability, load_corpus
from training.tang_corpus import COMMIT, FILE_NUMBERS, convert, opencc_t2s, regulated_shape, source_urls

pytest.importorskip("opencc")

GOOD = "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。"
FIRST_FILE = [
    {
        "author": "王之渙",
        "paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"],
        "title": "登鸛雀樓",
    },
    {"author": "某", "paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"], "title": "重出"},
    {"author": "某", "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少"], "title": "無句號"},
    {
        "author": "某",
        "paragraphs": ["春眠不覺曉，處處聞啼鳥（一作鳴）。", "夜來風雨聲，花落知多少。"],
        "title": "注",
    },
    {"author": "某", "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知□少。"], "title": "闕"},
    {"author": "某", "paragraphs": ["春眠不覺曉，處處聞啼鳥多。", "夜來風雨聲，花落知多少。"], "title": "雜"},
    {"author": "某", "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲。"], "title": "奇"},
]
SECOND_FILE = [
    {
        "author": "孟浩然",
        "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少。"],
        "title": "春曉：其一  \t",
    },
    {
        "author": "某",
        "paragraphs": ["  朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山！ "],
        "title": " ",
    },
]
EXPECTED = (
    "登鹳雀楼:白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n"
    "春晓 其一:春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n"
    "无题:朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山！\n"
)


def test_the_recipe_keeps_regulated_poems_once_and_converts_them() -> None:
    assert convert([FIRST_FILE, SECOND_FILE], opencc_t2s()) == EXPECTED


def test_a_poem_the_conversion_moves_out_of_the_basic_block_is_dropped() -> None:
    to_extension = {GOOD: GOOD.replace("白", "\U00026221")}
    text = convert([FIRST_FILE[:1]], lambda s: to_extension.get(s, s))
    assert text == ""


def test_shapes() -> None:
    assert regulated_shape("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。")
    assert not regulated_shape("白日依山尽，黄河入海流。")  # two clauses
    assert not regulated_shape("")


def test_sources_are_the_58_files_at_the_pinned_commit() -> None:
    urls = source_urls()
    assert len(urls) == 58 and len(FILE_NUMBERS) == 58
    assert urls[0].endswith(f"/{COMMIT}/%E5%85%A8%E5%94%90%E8%AF%97/poet.tang.0.json")
    assert urls[-1].endswith("/poet.tang.57000.json")


def _sources_in_cache(cache: Path) -> None:
    """The source files as an earlier run left them in the cache, so nothing is fetched."""
    folder = cache / "sources" / "chinese-poetry" / COMMIT
    folder.mkdir(parents=True)
    for n in FILE_NUMBERS:
        poems = FIRST_FILE if n == 0 else SECOND_FILE if n == 57_000 else []
        (folder / f"poet.tang.{n}.json").write_text(json.dumps(poems, ensure_ascii=False), "utf-8")


def _registry(sha: str) -> dict[str, CorpusSpec]:
    file = CorpusFile("chinese/tang_poems.txt", sha, build="training.tang_corpus:build")
    return {"tang": CorpusSpec("tang", "lines", (file,), line_body_after=":")}


def test_load_corpus_builds_verifies_and_caches_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _sources_in_cache(cache)
    registry = _registry(hashlib.sha256(EXPECTED.encode()).hexdigest())
    assert availability(registry["tang"], corpora_dir=None, cache_dir=cache) == "build"
    corpus = load_corpus("tang", corpora_dir=None, cache_dir=cache, registry=registry)
    assert corpus.texts["all"].splitlines()[0] == "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
    assert (cache / "chinese" / "tang_poems.txt").read_text("utf-8") == EXPECTED
    assert availability(registry["tang"], corpora_dir=None, cache_dir=cache) == "cached"


def test_a_build_that_does_not_match_the_registered_sha256_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _sources_in_cache(cache)
    with pytest.raises(CorpusError, match=r"as built by training\.tang_corpus:build: sha256 .* does not"):
        load_corpus("tang", corpora_dir=None, cache_dir=cache, registry=_registry("0" * 64))
    assert not (cache / "chinese" / "tang_poems.txt").exists()


def test_every_named_corpus_can_be_fetched_or_built() -> None:
    for spec in CORPORA.values():
        assert all(f.urls or f.build for f in spec.files), spec.name
        assert availability(spec, corpora_dir=None, cache_dir=Path("/nonexistent")) in ("download", "build")
