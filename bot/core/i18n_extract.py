"""Babel's extractor for this code (``make messages``; ``babel.cfg`` names it).

Besides ``_("…")``, ``N_("…")`` and ``_n("…", "…s", n)`` it takes the descriptions of
``CommandSpec(name, "…")`` and ``ParamSpec(name, "…")`` (or ``description="…"``, ``file="…"``),
wherever they are nested, so command specs stay plain declarations beside their handlers.
Babel's own Python extractor reads keyword calls only one level deep, which misses a
``ParamSpec`` in a ``CommandSpec``'s list.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

MARKERS = frozenset({"_", "N_"})  # the message is the first argument
PLURAL = "_n"  # singular and plural are the first two arguments
SPECS = frozenset({"CommandSpec", "ParamSpec"})  # the description is the second argument
SPEC_KEYWORDS = frozenset({"description", "file"})

Found = tuple[int, str, str | tuple[str, str], list[str]]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _text(node: ast.expr | None) -> str | None:
    text = node.value if isinstance(node, ast.Constant) else None
    return text if isinstance(text, str) and text else None


def messages(source: str) -> Iterator[tuple[int, str, str | tuple[str, str]]]:
    """``(line, function, message)`` for every marked text of a module (a plural: both forms)."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in MARKERS and node.args and (text := _text(node.args[0])):
            yield node.lineno, name, text
        elif name == PLURAL and len(node.args) > 1:
            one, many = _text(node.args[0]), _text(node.args[1])
            if one and many:
                yield node.lineno, name, (one, many)
        elif name in SPECS:
            found = [node.args[1]] if len(node.args) > 1 else []
            found += [k.value for k in node.keywords if k.arg in SPEC_KEYWORDS]
            yield from ((node.lineno, name, text) for arg in found if (text := _text(arg)))


def extract(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Found]:
    """Babel's extraction-method interface (texts reported as ``_``, plurals as ``ngettext``)."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    for line, _marker, text in sorted(messages(source), key=lambda found: (found[0], str(found[2]))):
        yield line, "ngettext" if isinstance(text, tuple) else "_", text, []
