"""The engine as retraining jobs need it: versions, the served one, atomic swaps, rescans."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from artifact.manifest import Manifest
from bot.engine.api import EngineError, Generator


@runtime_checkable
class ModelVersions(Generator, Protocol):
    """Implemented by ``bot.engine.Engine``; a bare ``Generator`` (a test double) cannot retrain."""

    @property
    def models_dir(self) -> Path | None: ...

    def versions(self, name: str) -> list[tuple[str, Manifest]]: ...

    def manifest(self, name: str, version: str | None = None) -> Manifest: ...

    def model_dir(self, name: str, version: str | None = None) -> Path: ...

    def active_version(self, name: str) -> str: ...

    def reload(self) -> None: ...

    async def activate(self, name: str, version: str) -> None: ...

    async def rollback(self, name: str, version: str | None = None) -> str: ...


def served(engine: ModelVersions, name: str) -> tuple[str, Manifest] | None:
    """The served version of ``name`` and its manifest; None for an unknown or unusable model."""
    try:
        version = engine.active_version(name)
        return version, engine.manifest(name, version)
    except EngineError:
        return None
