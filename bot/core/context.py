"""What a command handler gets: the invocation, the bot's services, and the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.types import Invocation
from bot.engine.api import Generator
from bot.storage import Storage, users

if TYPE_CHECKING:
    from bot.core.core import CommandCore


@dataclass
class Services:
    """Everything the core's commands use (a group from another package gets its own service bound to
    its handlers when it is registered: ``Commands.register``)."""

    settings: Settings
    storage: Storage
    engine: Generator


class Context:
    def __init__(self, core: CommandCore, inv: Invocation, *, is_admin: bool) -> None:
        self.core = core
        self.inv = inv
        self.is_admin = is_admin
        self._user_id: int | None = None

    @property
    def services(self) -> Services:
        return self.core.services

    @property
    def storage(self) -> Storage:
        return self.core.services.storage

    @property
    def settings(self) -> Settings:
        return self.core.services.settings

    @property
    def engine(self) -> Generator:
        return self.core.services.engine

    @property
    def is_chat_admin(self) -> bool:
        """May change what is allowed in this chat (``/chat``): its admins, and the bot's."""
        return self.inv.chat_admin or self.is_admin

    @property
    def chat_key(self) -> str:
        """Where a generation was shown: ``platform:chat id``, unique across platforms."""
        return f"{self.inv.platform}:{self.inv.chat_id}"

    @property
    def server_key(self) -> str:
        """Where a server's ``/chat`` rules are kept: ``platform-guild:server id``; "": no server."""
        return f"{self.inv.platform}-guild:{self.inv.server_id}" if self.inv.server_id else ""

    async def user_id(self) -> int:
        """The caller's row id, created on first need (commands that only read use ``known_user_id``)."""
        if self._user_id is None:
            self._user_id = await users.ensure(
                self.storage, self.inv.platform, self.inv.user_id, self.inv.user_name[:200]
            )
        return self._user_id

    async def known_user_id(self) -> int | None:
        if self._user_id is None:
            user = await users.find(self.storage, self.inv.platform, self.inv.user_id)
            self._user_id = None if user is None else user.id
        return self._user_id
