"""The transport-neutral shapes of a command and its answer.

Transports build an ``Invocation`` from a platform event and render the ``Reply``; the command
core never sees a platform object. Buttons carry only a command and an id, so every platform can
encode them in its own small payload (Telegram ``callback_data`` ≤ 64 bytes, Discord custom ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Invocation:
    platform: str  # "console" | "telegram" | "discord"
    user_id: str  # platform's user id, as text
    user_name: str
    chat_id: str  # where replies and job progress go
    command: str  # without the leading "/", lower-case, e.g. "poem"
    args: str = ""  # the rest of the line, raw
    attachment: Path | None = None  # an uploaded file (admin corpus upload), already saved locally

    @property
    def user_key(self) -> str:
        """``platform:id`` — the form admins are listed in (``BARDLING_ADMINS``)."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Button:
    label: str  # e.g. "⭐ Save"
    command: str  # e.g. "fav"
    arg: str  # e.g. a generation id


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    error: bool = False  # Discord shows errors ephemerally
    image: Path | None = None  # e.g. a loss-curve PNG
    generation_id: int | None = None


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a command, so transports can build menus and slash-command options."""

    name: str
    description: str
    type: str = "str"  # "str" | "int" | "float" (a file comes through CommandSpec.file)
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    autocomplete_models: bool = False  # Discord autocompletes model names for this parameter


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str
    params: list[ParamSpec] = field(default_factory=list)
    admin_only: bool = False
    file: str | None = None  # what an optional attached file is for, if any (→ Invocation.attachment)


@dataclass(frozen=True)
class Notice:
    """A message the core sends on its own (job progress), not in answer to an invocation."""

    chat_id: str
    text: str
    image: Path | None = None
    key: str | None = None  # same key: edit the earlier message instead of sending a new one


class Notifier(Protocol):
    """Implemented by each transport and registered with the core for its platform."""

    async def notify(self, notice: Notice) -> None: ...
