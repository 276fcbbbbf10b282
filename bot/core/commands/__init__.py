"""Command groups, one module each, every one with ``register(registry)``.

A new group is a new module added to ``GROUPS``. A group from another package (admin retraining,
``bot.jobs.commands``) is added by the composition root, so the core never imports that package.
"""

from __future__ import annotations

from types import ModuleType

from bot.core.commands import account, cards, chat, favourites, generate, info, settings
from bot.core.registry import Registry

GROUPS: tuple[ModuleType, ...] = (info, generate, favourites, cards, settings, account, chat)


def build_registry(groups: tuple[ModuleType, ...] = GROUPS) -> Registry:
    registry = Registry()
    for group in groups:
        group.register(registry)
    return registry
