"""Corpus downloads over HTTP through pooch, against a server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from artifact.corpora import CorpusError, CorpusFile, CorpusSpec, load_corpus

pytest.importorskip("pooch")
GOOD = b"Aachenosaurus\nZuul\n"


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on a free loopback port serving ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def _registry(*urls: str, expected: bytes = GOOD) -> dict[str, CorpusSpec]:
    file = CorpusFile("names/toy.txt", hashlib.sha256(expected).hexdigest(), urls)
    return {"toy": CorpusSpec("toy", "lines", (file,))}


def test_a_download_over_http_is_verified_and_cached(mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, root = mirror
    (root / "toy.txt").write_bytes(GOOD)
    cache = tmp_path / "cache"
    corpus = load_corpus("toy", corpora_dir=None, cache_dir=cache, registry=_registry(f"{base}/toy.txt"))
    assert corpus.texts["all"] == GOOD.decode()
    assert (cache / "names" / "toy.txt").read_bytes() == GOOD


def test_a_tampered_mirror_is_refused_and_nothing_cached(mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, root = mirror
    (root / "toy.txt").write_bytes(b"Tampered\n")
    cache = tmp_path / "cache"
    with pytest.raises(CorpusError, match="sha256 of the download does not match"):
        load_corpus("toy", corpora_dir=None, cache_dir=cache, registry=_registry(f"{base}/toy.txt"))
    assert not any(p.is_file() for p in cache.rglob("*"))


def test_a_dead_mirror_falls_back_to_the_next(mirror: tuple[str, Path], tmp_path: Path) -> None:
    base, root = mirror
    (root / "toy.txt").write_bytes(GOOD)
    registry = _registry(f"{base}/missing.txt", f"{base}/toy.txt")
    assert load_corpus("toy", corpora_dir=None, cache_dir=tmp_path / "c", registry=registry).texts
    with pytest.raises(CorpusError, match=r"could not download names/toy\.txt: .*missing\.txt"):
        load_corpus(
            "toy", corpora_dir=None, cache_dir=tmp_path / "d", registry=_registry(f"{base}/missing.txt")
        )
