"""Slash commands built from the core's ``CommandSpec``s, so Discord's menus follow the core.

discord.py reads a command's options from its callback's signature, so each command gets a
callback whose signature is made from the spec: typed, range-checked options (keyword-only, so
required and optional ones may come in any order), described and given choices through
discord.py's public decorators, with model-name autocomplete where the spec asks for it, and an
optional ``file`` attachment option for a command that takes a file (``CommandSpec.file``). The
callback hands the typed values on as they are; they are never turned back into text. Descriptions
go out in English with their translations (``SpecTranslator``: Discord shows each user theirs).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.core.i18n import ENGLISH, language, translator
from bot.core.types import CommandSpec, ParamSpec

DESCRIPTION_LIMIT = 100  # Discord's limit for command and option descriptions
CHOICES_LIMIT = 25  # Discord shows at most 25 autocomplete choices

FILE_OPTION = "file"  # the attachment option of a command that takes a file
SOURCE = "source"  # a description's locale_str extra: the spec's own text, the catalogue's key
TRANSLATED = frozenset(
    {
        app_commands.TranslationContextLocation.command_description,
        app_commands.TranslationContextLocation.parameter_description,
    }
)

OnCommand = Callable[
    [discord.Interaction, CommandSpec, dict[str, Any], discord.Attachment | None], Awaitable[None]
]
ModelNames = Callable[[tuple[str, ...]], list[str]]  # the served models of these kinds (): all

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float}


def _annotation(param: ParamSpec) -> Any:
    kind = _TYPES.get(param.type, str)
    if kind not in (int, float) or (param.min_value is None and param.max_value is None):
        return kind

    def bound(value: float | None) -> float | None:
        return None if value is None else kind(value)

    return app_commands.Range[kind, bound(param.min_value), bound(param.max_value)]


def _describe(text: str, fallback: str) -> str:
    text = " ".join(text.split()) or fallback
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def _described(text: str, fallback: str) -> app_commands.locale_str:
    """The English description Discord gets, carrying the spec's text for ``SpecTranslator``."""
    return app_commands.locale_str(_describe(text, fallback), **{SOURCE: text})


class SpecTranslator(app_commands.Translator):
    """Command and option descriptions in the languages of the catalogue (Discord's ``zh-CN``, and
    ``zh-TW`` too: Simplified Chinese); names stay as they are, so commands read the same everywhere."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        lang = language(locale.value)
        if context.location not in TRANSLATED or lang == ENGLISH:
            return None
        source = string.extras.get(SOURCE, string.message)
        text = translator(lang)(source)
        return _describe(text, string.message) if text != source else None


def _model_completer(model_names: ModelNames, kinds: tuple[str, ...]) -> Callable[..., Any]:
    """Autocomplete offering only the models of ``kinds`` (those the command would accept)."""

    async def complete_model(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().lower()
        names = [n for n in model_names(kinds) if wanted in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in names[:CHOICES_LIMIT]]

    return complete_model


def build_command(spec: CommandSpec, on_command: OnCommand, model_names: ModelNames) -> app_commands.Command:
    """The slash command for ``spec``; invoking it calls ``on_command(interaction, spec, options, file)``."""
    if spec.file and any(p.name == FILE_OPTION for p in spec.params):
        raise ValueError(f"/{spec.name} has a parameter named {FILE_OPTION!r} and takes a file")

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        file = options.pop(FILE_OPTION, None) if spec.file else None
        await on_command(interaction, spec, options, file)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(
            p.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(p),
            default=inspect.Parameter.empty if p.required else None,
        )
        for p in spec.params
    ]
    descriptions = {p.name: _described(p.description, p.name) for p in spec.params}
    if spec.file:
        parameters.append(
            inspect.Parameter(
                FILE_OPTION, inspect.Parameter.KEYWORD_ONLY, annotation=discord.Attachment, default=None
            )
        )
        descriptions[FILE_OPTION] = _described(spec.file, FILE_OPTION)
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command: app_commands.Command = app_commands.Command(
        name=spec.name, description=_described(spec.description, spec.name), callback=callback
    )
    app_commands.describe(**descriptions)(command)
    choices = {
        p.name: [app_commands.Choice(name=c, value=c) for c in p.choices[:CHOICES_LIMIT]]
        for p in spec.params
        if p.choices
    }
    if choices:
        app_commands.choices(**choices)(command)
    if spec.admin_only:  # hidden from members without Administrator (the core still checks the user)
        command.default_permissions = discord.Permissions(administrator=True)

    for p in spec.params:
        if p.autocomplete_models:
            command.autocomplete(p.name)(_model_completer(model_names, p.model_kinds))
    return command
