"""Tab completion for ``bardling chat``: command names, then ``name:`` options and model names.

Built from the core's command specs, asked afresh at every keystroke, so ``/admin on`` adds the
admin commands and a model swapped in elsewhere appears without restarting the console.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from bot.core.types import CommandSpec

CONSOLE_COMMANDS = {"admin": "Switch admin rights for this session: on|off", "quit": "Leave the console"}


class CommandCompleter(Completer):
    def __init__(
        self, commands: Callable[[], list[CommandSpec]], model_names: Callable[[], list[str]]
    ) -> None:
        self._commands = commands
        self._model_names = model_names

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        line = document.text_before_cursor
        if not line.startswith("/"):
            return
        head, space, rest = line.partition(" ")
        if not space:
            yield from self._command_names(head[1:])
            return
        spec = next((c for c in self._commands() if c.name == head[1:]), None)
        if spec is not None:
            word = rest.split(" ")[-1]
            yield from self._options(spec, word, given=rest[: len(rest) - len(word)])

    def _command_names(self, typed: str) -> Iterable[Completion]:
        names = {c.name: c.description for c in self._commands()} | CONSOLE_COMMANDS
        for name, description in sorted(names.items()):
            if name.startswith(typed):
                yield Completion(f"/{name}", -len(typed) - 1, display_meta=description)

    def _options(self, spec: CommandSpec, word: str, given: str) -> Iterable[Completion]:
        name, colon, value = word.partition(":")
        if colon:
            param = next((p for p in spec.params if p.name == name), None)
            if param is not None and param.autocomplete_models:
                for model in self._model_names():
                    if model.startswith(value):
                        yield Completion(model, -len(value))
            return
        for p in spec.params:
            if p.name.startswith(word) and f"{p.name}:" not in given:
                yield Completion(f"{p.name}:", -len(word), display_meta=p.description)
