"""The command table: each command's spec (for menus and slash commands), parsing rule and handler.

Command groups live in ``bot.core.commands`` as modules with ``register(registry)``; adding a group
(e.g. admin retraining) means adding a module there, not editing the core.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from bot.core.types import CommandSpec, Reply

if TYPE_CHECKING:
    from bot.core.args import Args
    from bot.core.context import Context

Handler = Callable[["Context", "Args"], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    spec: CommandSpec
    handler: Handler
    greedy: str | None = None  # the parameter that takes the rest of the line (free text, e.g. a seed)
    generates: bool = False  # spends a rate-limit token

    @property
    def name(self) -> str:
        return self.spec.name

    def usage(self) -> str:
        """``/poem [seed] [model:…] …``: positional parameters, then the keyword-only ones, then
        ``[+ file]`` if the command takes an attached file."""
        parts = [f"/{self.name}"]
        keyword_only = False
        for p in self.spec.params:
            if keyword_only:
                parts.append(f"[{p.name}:…]")
                continue
            parts.append(f"<{p.name}>" if p.required else f"[{p.name}]")
            keyword_only = p.name == self.greedy
        if self.spec.file:
            parts.append("[+ file]")
        return " ".join(parts)


class Commands:
    """A group's commands, each declared where its handler is written::

        commands = Commands()

        @commands.command(CommandSpec("fav", "Save a generation", [ID]))
        async def fav(ctx: Context, args: Args) -> Reply: ...

    ``register(registry, *bound)`` adds them; ``bound`` values (a group's service) come first in
    every handler's arguments, so a group needs no global state and the core need not know them.
    """

    def __init__(self) -> None:
        self._declared: list[tuple[Command, Callable[..., Awaitable[Reply]], tuple[str, ...]]] = []

    def command(
        self,
        spec: CommandSpec,
        *,
        greedy: str | None = None,
        generates: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[Callable[..., Awaitable[Reply]]], Callable[..., Awaitable[Reply]]]:
        def declare(handler: Callable[..., Awaitable[Reply]]) -> Callable[..., Awaitable[Reply]]:
            self._declared.append(
                (Command(spec, cast(Handler, handler), greedy, generates), handler, aliases)
            )
            return handler

        return declare

    def register(self, registry: Registry, *bound: object) -> None:
        for command, handler, aliases in self._declared:
            if bound:
                command = replace(command, handler=cast(Handler, functools.partial(handler, *bound)))
            registry.add(command, aliases=aliases)


class Registry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}

    def add(self, command: Command, *, aliases: tuple[str, ...] = ()) -> None:
        for name in (command.name, *aliases):
            if name in self._commands or name in self._aliases:
                raise ValueError(f"command /{name} is defined twice")
        self._commands[command.name] = command
        for alias in aliases:
            self._aliases[alias] = command.name

    def get(self, name: str) -> Command | None:
        return self._commands.get(self._aliases.get(name, name))

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())
