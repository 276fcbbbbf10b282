"""Inference on ONNX Runtime: model registry, sessions, sampling, continuous batching.

``bot.engine.api`` is all the rest of the bot needs to know; ``Engine`` is imported lazily here so
that importing the API does not load ONNX Runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.engine.engine import Engine, TextStream

__all__ = ["Engine", "TextStream"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bot.engine import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'bot.engine' has no attribute {name!r}")
