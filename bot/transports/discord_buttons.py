"""Persistent Discord buttons: the custom id is ``bardling:command:id``, so no state is kept.

A ``DynamicItem`` rebuilds the button from the custom id of whatever message was clicked, so
buttons keep working after a restart and nothing is stored per message.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.types import Button
from bot.transports.buttons import PAYLOAD_PATTERN, encode_button

CUSTOM_ID_PREFIX = "bardling:"
TEMPLATE = re.escape(CUSTOM_ID_PREFIX) + PAYLOAD_PATTERN
OnPress = Callable[[discord.Interaction, str, str], Awaitable[None]]


def custom_id(button: Button) -> str:
    return CUSTOM_ID_PREFIX + encode_button(button)


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """A button that runs ``command arg`` when clicked; subclasses say what running means."""

    def __init__(self, command: str, arg: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(Button(label, command, arg)),
            )
        )
        self.command, self.arg = command, arg

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else match["command"]
        return cls(match["command"], match["arg"], label)

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.press(interaction)

    async def press(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


def action_button_type(on_press: OnPress) -> type[ActionButton]:
    """The ``DynamicItem`` class for one client; a click calls ``on_press(interaction, command, arg)``."""

    class BoundActionButton(ActionButton, template=TEMPLATE):
        async def press(self, interaction: discord.Interaction) -> None:
            await on_press(interaction, self.command, self.arg)

    return BoundActionButton


def button_view(button_type: type[ActionButton], buttons: list[Button]) -> discord.ui.View | None:
    """A view of persistent buttons (no timeout), or None when there are none."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button_type(button.command, button.arg, button.label))
    return view
