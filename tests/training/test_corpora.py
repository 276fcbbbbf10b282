"""Corpus resolution: verified copies only, clear errors, and nothing cached unless it checked out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from artifact.corpora import CorpusError, CorpusFile, CorpusSpec, load_corpus

GOOD = b"one\ntwo\nthree\n"


def _registry(tmp_path: Path, served: bytes, expected: bytes = GOOD) -> dict[str, CorpusSpec]:
    """A corpus named ``toy`` whose only download address is a local file:// URL serving ``served``."""
    source = tmp_path / "mirror" / "toy.txt"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(served)
    sha = hashlib.sha256(expected).hexdigest()
    return {"toy": CorpusSpec("toy", "lines", (CorpusFile("toy.txt", sha, (source.as_uri(),)),))}


def test_download_is_verified_then_cached(tmp_path: Path) -> None:
    registry = _registry(tmp_path, GOOD)
    cache = tmp_path / "cache"
    corpus = load_corpus("toy", corpora_dir=None, cache_dir=cache, registry=registry)
    assert corpus.texts["all"] == GOOD.decode() and corpus.kind == "lines"
    assert (cache / "toy.txt").read_bytes() == GOOD
    (tmp_path / "mirror" / "toy.txt").unlink()  # the next load must come from the cache
    assert load_corpus("toy", corpora_dir=None, cache_dir=cache, registry=registry).texts == corpus.texts


def test_checksum_mismatch_is_an_error_and_nothing_is_cached(tmp_path: Path) -> None:
    registry = _registry(tmp_path, b"tampered\n")
    cache = tmp_path / "cache"
    with pytest.raises(CorpusError, match=r"sha256 .* does not match"):
        load_corpus("toy", corpora_dir=None, cache_dir=cache, registry=registry)
    assert not cache.exists() or not any(cache.rglob("*"))


def test_corpora_dir_copy_is_verified(tmp_path: Path) -> None:
    registry = _registry(tmp_path, GOOD)
    local = tmp_path / "corpora"
    local.mkdir()
    (local / "toy.txt").write_bytes(b"edited by hand\n")
    with pytest.raises(CorpusError, match="does not match"):
        load_corpus("toy", corpora_dir=local, cache_dir=tmp_path / "cache", registry=registry)
    assert (local / "toy.txt").read_bytes() == b"edited by hand\n"  # the user's file is left alone


def test_damaged_cache_is_replaced_by_a_fresh_download(tmp_path: Path) -> None:
    registry = _registry(tmp_path, GOOD)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "toy.txt").write_bytes(b"half a fi")
    assert (
        load_corpus("toy", corpora_dir=None, cache_dir=cache, registry=registry).texts["all"] == GOOD.decode()
    )
    assert (cache / "toy.txt").read_bytes() == GOOD


def test_undecodable_download_is_an_error(tmp_path: Path) -> None:
    bad = b"\xff\xfe not utf-8"
    registry = _registry(tmp_path, bad, expected=bad)
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_corpus("toy", corpora_dir=None, cache_dir=tmp_path / "cache", registry=registry)
    assert not (tmp_path / "cache" / "toy.txt").exists()


def test_local_file_is_a_stream_corpus_named_by_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "my_poems.txt"
    path.write_text("O Romeo\n", "utf-8")
    corpus = load_corpus(path, corpora_dir=None, cache_dir=tmp_path / "cache")
    assert (corpus.name, corpus.kind, corpus.chars) == ("my_poems", "stream", 8)
    assert corpus.sha256 == hashlib.sha256(b"O Romeo\n").hexdigest()


def test_local_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff")
    with pytest.raises(CorpusError, match=r"image\.txt is not UTF-8 text"):
        load_corpus(path, corpora_dir=None, cache_dir=tmp_path / "cache")


def test_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"unknown corpus 'shakespear'.*shakespeare"):
        load_corpus("shakespear", corpora_dir=None, cache_dir=tmp_path / "cache")


def test_corpus_without_address_explains_where_to_put_it(tmp_path: Path) -> None:
    registry = {"private": CorpusSpec("private", "lines", (CorpusFile("private.txt", "0" * 64),))}
    with pytest.raises(CorpusError, match=r"no download address.*BARDLING_CORPORA_DIR"):
        load_corpus("private", corpora_dir=tmp_path, cache_dir=tmp_path / "cache", registry=registry)
