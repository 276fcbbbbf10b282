"""Building ``chinese/tang_poems.txt`` from its public source, reproducibly.

The source is the 全唐诗 JSON of chinese-poetry/chinese-poetry at one pinned commit (58 files,
``poet.tang.0.json`` … ``poet.tang.57000.json``, each a list of ``{"title", "paragraphs", …}``).
The recipe is the one the corpus was first made with: keep the regulated-looking poems (clauses
of only CJK ideographs, all of 5 or all of 7 characters, an even number of at least 4, ending in
``。？！``), drop repeated contents, convert title and content with OpenCC's ``t2s``, drop what the
conversion moves out of the basic ideograph block, and write ``title:content`` a line. The
registry checks the result against the registered sha256, so a changed source or converter
shows as a mismatch, never as a silently different corpus. The registered file was converted with
OpenCC 1.1.9, which the ``train`` extra pins: later releases convert a few characters otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from artifact.corpora import CorpusError, fetch_url

COMMIT = "99ebbef7e1345c0985c44b9fd96a3f9e776f117b"
SOURCE = f"https://raw.githubusercontent.com/chinese-poetry/chinese-poetry/{COMMIT}/{quote('全唐诗')}"
FILE_NUMBERS = range(0, 58_000, 1_000)  # poet.tang.<N>.json, in this order
PUNCTUATION = "，。？！；"
ENDINGS = "。？！"
_CLAUSES = re.compile(f"[{PUNCTUATION}]")
_TITLE_GAPS = re.compile(r"[\s:：]+")
UNTITLED = "无题"
OPENCC = "1.1.9"


def source_urls() -> list[str]:
    return [f"{SOURCE}/poet.tang.{n}.json" for n in FILE_NUMBERS]


def _ideographs(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def regulated_shape(content: str) -> bool:
    """Step 3's shape test: ends a sentence, clauses of ideographs only, all 5 or all 7 long,
    an even number of them and at least 4."""
    if not content or content[-1] not in ENDINGS:
        return False
    clauses = _CLAUSES.split(content)[:-1]  # the text ends with a mark: the last piece is empty
    if not all(_ideographs(c) for c in clauses):
        return False
    lengths = {len(c) for c in clauses}
    return lengths in ({5}, {7}) and len(clauses) % 2 == 0 and len(clauses) >= 4


def convert(files: Iterable[list[dict[str, Any]]], to_simplified: Callable[[str], str]) -> str:
    """The corpus text from the source files' poems, in order (steps 2–6 of the recipe)."""
    kept: list[tuple[str, str]] = []
    seen: set[str] = set()
    for poems in files:
        for poem in poems:
            content = "".join(poem.get("paragraphs") or []).strip()
            if not regulated_shape(content) or content in seen:
                continue
            seen.add(content)
            title = _TITLE_GAPS.sub(" ", str(poem.get("title") or "")).strip() or UNTITLED
            kept.append((title, content))
    lines: list[str] = []
    for title, content in kept:
        simplified = to_simplified(content)
        if all(_ideographs(c) or c in PUNCTUATION for c in simplified):
            lines.append(f"{to_simplified(title)}:{simplified}\n")
    return "".join(lines)


def opencc_t2s() -> Callable[[str], str]:
    """OpenCC's ``t2s`` of the release the registered file was made with: later releases map a few
    characters differently (沈 → 沉, 乾 → 干, …), which would change the corpus."""
    try:
        import opencc
    except ImportError:
        raise CorpusError("building the tang corpus needs OpenCC (pip install -e '.[train]')") from None
    installed = version("opencc")
    if installed != OPENCC:
        raise CorpusError(
            f"the tang corpus is converted with OpenCC {OPENCC}, the train extra's pin; this environment "
            f"has {installed} (pip install opencc=={OPENCC})"
        )
    converter: Callable[[str], str] = opencc.OpenCC("t2s").convert
    return converter


def build(cache_dir: Path) -> bytes:
    """Fetch the pinned source files (kept in the cache) and convert them; the caller verifies."""
    to_simplified = opencc_t2s()
    folder = cache_dir / "sources" / "chinese-poetry" / COMMIT
    paths: list[Path] = []
    for url in source_urls():
        try:
            paths.append(fetch_url(url, folder / url.rsplit("/", 1)[1], None))
        except OSError as exc:
            raise CorpusError(f"could not download the tang source {url}: {exc}") from None
    try:
        files = [json.loads(path.read_text("utf-8")) for path in paths]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"a tang source file is not the JSON expected: {exc}") from None
    return convert(files, to_simplified).encode("utf-8")
