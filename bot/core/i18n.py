"""Replies in the user's language: English in the code, Simplified Chinese from a gettext catalogue.

Texts are marked where they are made: ``_("Seed too long (max {limit} characters).", limit=n)``
translates and fills in the values (``_n("{n} favourite", "{n} favourites", n)`` where English
needs a plural); ``N_(...)`` marks a text declared before any request (a
parameter's description) and keeps its template, so it is translated where it is shown. Command
and parameter descriptions written as ``CommandSpec(name, "…")`` / ``ParamSpec(name, "…")`` need
no marker: extraction reads them by those names (``make messages``; docs/translations.md).

The language is chosen per request: the transport puts the user's locale in the ``Invocation``
and ``CommandCore.handle`` runs the command under ``speaking(locale)``, which sets a context
variable, so concurrent requests (each its own task) never share a language. The catalogue is
read from its ``.po`` file at first use (no compile step); a text it lacks stays English.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

DOMAIN = "bardling"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENGLISH = "en"
CHINESE = "zh"  # Simplified Chinese, for every Chinese locale (zh, zh-CN, zh-Hans, zh_CN.UTF-8, zh-TW…)
LANGUAGES = (ENGLISH, CHINESE)


def language(tag: str | None) -> str:
    """The catalogue for a locale tag as platforms and ``LANG`` spell it; English for any other."""
    code = (tag or "").strip().replace("_", "-").split(".", 1)[0].split("-", 1)[0].lower()
    return code if code in LANGUAGES else ENGLISH


class Text(str):
    """A text formatted in English now that keeps its template and values, so that it can be
    shown in another language later (what ``N_`` returns)."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, values: dict[str, Any]) -> Text:
        text = super().__new__(cls, template.format(**values) if values else template)
        text.template, text.values = template, values
        return text


def N_(template: str, /, **values: Any) -> str:
    """Mark a text for translation where it is shown (gettext's name); English until then."""
    return Text(template, values)


class Translator:
    """One language's catalogue: ``t("…{n}…", n=3)`` is the translation, filled in."""

    def __init__(self, lang: str, catalogue: NullTranslations) -> None:
        self.language = lang
        self._catalogue = catalogue

    def __call__(self, message: str, /, **values: Any) -> str:
        template, given = message, dict(values)
        if isinstance(message, Text):
            template, given = message.template, {**message.values, **values}
        translated = self._catalogue.gettext(template)
        if not given:
            return translated
        return _filled(translated, template, given, self.language)

    def plural(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """The form for ``n`` (``{n}`` is filled in), as the language forms plurals."""
        given = {"n": n, **values}
        english = singular if n == 1 else plural
        return _filled(self._catalogue.ngettext(singular, plural, n), english, given, self.language)


def _filled(translated: str, english: str, values: dict[str, Any], lang: str) -> str:
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):  # a translation naming a value it is not given
        log.warning("translation of %r into %s does not fit its values", english, lang)
        return english.format(**values)


def _catalogue(lang: str) -> NullTranslations:
    """The language's ``.po`` file, compiled in memory; none (English) when it has no file."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == ENGLISH or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they stay English
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translator(tag: str | None = None) -> Translator:
    """The translator for a locale tag (``zh-CN``, ``zh_CN.UTF-8``, ``en``, ``""``)."""
    return _translator(language(tag))


@functools.cache
def _translator(lang: str) -> Translator:
    return Translator(lang, _catalogue(lang))


_current: ContextVar[Translator] = ContextVar("bardling_translator")


def _(message: str, /, **values: Any) -> str:
    """``message`` in the language of the request being handled (English outside one), filled in."""
    return _current.get(translator(ENGLISH))(message, **values)


def _n(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """``singular`` or ``plural`` for ``n`` in the request's language, ``{n}`` and values filled in."""
    return _current.get(translator(ENGLISH)).plural(singular, plural, n, **values)


@contextmanager
def speaking(tag: str | None) -> Iterator[Translator]:
    """Within the block (and the tasks it starts), ``_`` answers in ``tag``'s language."""
    token = _current.set(translator(tag))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
