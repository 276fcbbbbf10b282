"""The transport-neutral shapes of a command and its answer.

Transports build an ``Invocation`` from a platform event and render the ``Reply``; the command
core never sees a platform object. Buttons carry only a command and an id, so every platform can
encode them in its own small payload (Telegram ``callback_data`` ≤ 64 bytes, Discord custom ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Invocation:
    platform: str  # "console" | "telegram" | "discord"
    user_id: str  # platform's user id, as text
    user_name: str
    chat_id: str  # where replies and job progress go
    command: str  # without the leading "/", lower-case, e.g. "poem"
    args: str = ""  # the rest of the line, raw (text transports)
    # typed values by parameter name (slash-command transports); when set, ``args`` is not read
    options: Mapping[str, object] | None = None
    attachment: Path | None = None  # an uploaded file (admin corpus upload), already saved locally
    chat_admin: bool = False  # the platform says the caller administers this chat (or server)
    server_id: str = ""  # the server (Discord guild) the chat belongs to; "": none (a DM, Telegram)
    locale: str = ""  # the user's language as the platform says it ("zh-CN", "zh-hans", "en"); "": English

    @property
    def user_key(self) -> str:
        """``platform:id`` — the form admins are listed in (``BARDLING_ADMINS``)."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Button:
    label: str  # e.g. "⭐ Save"
    command: str  # e.g. "fav"
    arg: str  # e.g. a generation id


class Outcome(StrEnum):
    """How a command ended, for metrics and logs."""

    OK = "ok"
    REFUSED = "refused"  # the user's request could not be done as asked (bad input, not allowed, …)
    BUSY = "busy"  # the bot had no room for it just now
    FAILED = "failed"  # a bug or an outage on the bot's side


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    error: bool = False  # Discord shows errors ephemerally
    image: Path | None = None  # e.g. a loss-curve PNG
    generation_id: int | None = None
    failure: Outcome | None = None  # why an error reply is one; None: refused

    @property
    def outcome(self) -> Outcome:
        if not self.error:
            return Outcome.OK
        return self.failure or Outcome.REFUSED


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
    choices: tuple[str, ...] = ()  # the only values it takes (lower-case), offered as choices where shown
    model_kinds: tuple[str, ...] = ()  # the kinds of model it takes, so only those are offered (): any


@dataclass(frozen=True)
class CommandSpec:
    """``description``s (here and in ``ParamSpec``) are English; written as literals in the call, they
    are extracted for translation by position (``bot/core/i18n.py``) and shown in the user's language."""

    name: str
    description: str
    params: list[ParamSpec] = field(default_factory=list)
    admin_only: bool = False
    file: str | None = None  # what an optional attached file is for, if any (→ Invocation.attachment)
    private: bool = False  # the answer lists the user's own data: shown only to them in shared channels


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
