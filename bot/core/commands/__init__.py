"""Command groups, one module each, every one with ``register(registry)``.

A new group (e.g. admin retraining) is a new module added to ``GROUPS``.
"""

from __future__ import annotations

from types import ModuleType

from bot.core.commands import account, favourites, generate, info, jobs
from bot.core.registry import Registry

GROUPS: tuple[ModuleType, ...] = (info, generate, favourites, account, jobs)


def build_registry(groups: tuple[ModuleType, ...] = GROUPS) -> Registry:
    registry = Registry()
    for group in groups:
        group.register(registry)
    return registry
