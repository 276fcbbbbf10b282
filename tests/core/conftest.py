"""``say``: one command line through the core, as a user of a chat would send it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.app import Bardling
from bot.core.args import split_command
from bot.core.types import Invocation, Reply

Say = Callable[..., Awaitable[Reply]]


@pytest.fixture
def say(bot_app: Bardling) -> Say:
    async def send(
        line: str,
        *,
        user: str = "1",
        chat: str | None = None,
        platform: str = "telegram",
        chat_admin: bool = False,
        locale: str = "",
        server: str = "",
    ) -> Reply:
        parsed = split_command(line)
        assert parsed is not None, line
        command, args = parsed
        inv = Invocation(
            platform,
            user,
            f"user {user}",
            chat or user,
            command,
            args,
            chat_admin=chat_admin,
            locale=locale,
            server_id=server,
        )
        return await bot_app.core.handle(inv)

    return send
