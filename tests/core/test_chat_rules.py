"""/chat: a chat's admins turn commands off, keep the bot to themselves, set a cooldown; refusals
are short, come before anything is spent, and never touch /privacy, /forget or /chat itself."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.core.args import split_command
from bot.core.types import Invocation, Reply
from bot.storage import users
from tests.core.conftest import Say

GROUP = "-100"


async def test_anyone_may_look_only_the_chats_admins_may_change(say: Say) -> None:
    shown = await say("/chat", user="2", chat=GROUP)
    assert "who may use Bardling: everyone\ncooldown: none\nturned off: nothing" in shown.text
    assert [(b.command, b.arg) for b in shown.buttons] == [
        ("chat", "who=admins"),
        ("chat", "cooldown"),
        ("chat", "commands"),
        ("chat", "reset"),
    ]
    for line in ("/chat cooldown 30", "/chat who=admins", "/chat disable:poem", "/chat reset"):
        refused = await say(line, user="2", chat=GROUP)
        assert refused.error and refused.text == "Only this chat's admins can change that.", line
    saved = await say("/chat cooldown 30", user="3", chat=GROUP, chat_admin=True)
    assert saved.text.startswith("Saved.") and "cooldown: 30 s between generations" in saved.text
    assert "cooldown: none" in (await say("/chat", user="3", chat="-200", chat_admin=True)).text  # per chat


async def test_a_command_turned_off_here_works_elsewhere(say: Say) -> None:
    menu = await say("/chat commands", user="3", chat=GROUP, chat_admin=True)
    args = [b.arg for b in menu.buttons]
    assert "disable=poem" in args and "disable=fav" in args
    assert not {"disable=chat", "disable=privacy", "disable=forget", "disable=retrain"} & set(args)
    pressed = await say("/chat disable=poem", user="3", chat=GROUP, chat_admin=True)  # the ✅ /poem button
    assert "enable=poem" in [b.arg for b in pressed.buttons]
    refused = await say("/poem Hello", user="2", chat=GROUP)
    assert refused.error and refused.text == "/poem is turned off in this chat."
    assert (await say("/poem Hello", user="3", chat=GROUP, chat_admin=True)).error  # for its admins too
    assert not (await say("/poem Hello", user="2", chat="-200")).error
    assert not (await say("/poem Hello", user="2", chat=GROUP, platform="discord")).error
    await say("/chat enable poem", user="3", chat=GROUP, chat_admin=True)
    assert not (await say("/poem Hello", user="2", chat=GROUP)).error


async def test_admins_only_leaves_privacy_forget_and_chat_open(say: Say) -> None:
    await say("/chat who admins", user="3", chat=GROUP, chat_admin=True)
    refused = await say("/help", user="2", chat=GROUP)
    assert refused.error and refused.text == "Here only the chat's admins may use Bardling."
    for line in ("/privacy", "/forget", "/chat"):
        assert not (await say(line, user="2", chat=GROUP)).error, line
    assert not (await say("/help", user="3", chat=GROUP, chat_admin=True)).error
    assert not (await say("/help", user="2", chat="2")).error  # their own chat with the bot
    assert (
        "who may use Bardling: everyone"
        in (await say("/chat reset", user="3", chat=GROUP, chat_admin=True)).text
    )


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/chat disable forget", "/forget stays on everywhere."),
        ("/chat disable:chat", "/chat stays on everywhere."),
        ("/chat disable nope", "Unknown command /nope — try /help"),
        ("/chat who nobody", "everyone"),  # the two choices named
        ("/chat cooldown 99999", "cooldown must be a whole number from 0 to 3600."),
        ("/chat cooldown soon", "cooldown must be a whole number from 0 to 3600."),
        ("/chat colour blue", "Unknown setting “colour”."),
    ],
)
async def test_bad_rules_are_refused(say: Say, line: str, error: str) -> None:
    reply = await say(line, user="3", chat=GROUP, chat_admin=True)
    assert reply.error and error in reply.text, reply.text
    assert "turned off: nothing" in (await say("/chat", chat=GROUP)).text


@pytest.fixture
async def strict_app(bot_settings: Settings) -> AsyncIterator[Bardling]:
    """One generation per user, then none for a long while: a spent token would show."""
    update = {"rate_limit_burst": 1, "rate_limit_per_minute": 0.01}
    async with Bardling(bot_settings.model_copy(update=update)) as app:
        yield app


async def test_refusals_cost_nothing_and_the_cooldown_is_the_chats(strict_app: Bardling) -> None:
    async def say(line: str, user: str, chat: str = GROUP, chat_admin: bool = False) -> Reply:
        parsed = split_command(line)
        assert parsed is not None
        inv = Invocation("telegram", user, "u", chat, parsed[0], parsed[1], chat_admin=chat_admin)
        return await strict_app.core.handle(inv)

    await say("/chat disable poem", "3", chat_admin=True)
    for _ in range(3):
        assert (await say("/poem Hi", "2")).text == "/poem is turned off in this chat."
    storage = strict_app.core.services.storage
    assert await users.find(storage, "telegram", "2") is None  # nothing stored about the refused
    await say("/chat enable:poem cooldown:60", "3", chat_admin=True)
    assert (await say("/poem Hi form:haiku", "2")).error  # failed: spends neither token nor cooldown
    assert not (await say("/poem Hi", "2")).error  # user 2's one token, spent here
    wait = await say("/poem Hi", "4")
    assert wait.error and wait.text.startswith("This chat has a 60 s cooldown — try again in ")
    assert not (await say("/poem Hi", "4", chat="-200")).error  # user 4's token was not spent above
    assert (await say("/poem Hi", "2", chat="-300")).text.startswith("Easy there")  # per user, as before


async def test_a_servers_rules_hold_in_its_channels_and_a_channels_own_override_them(say: Say) -> None:
    """Discord: ``scope:server`` sets rules for every channel of the guild; a channel's own rules win
    field by field, and ``/chat`` says which rule comes from where."""

    async def on(line: str, channel: str, user: str = "2", admin: bool = False) -> Reply:
        return await say(line, user=user, chat=channel, platform="discord", chat_admin=admin, server="9")

    refused = await on("/chat scope:server cooldown:30", "1")
    assert refused.error and refused.text == "Only members with Manage Server can change this server's rules."
    saved = await on("/chat scope:server disable:poem who:admins", "1", user="3", admin=True)
    assert saved.text.startswith("Saved for every channel of this server.")
    refused = await on("/poem Hello", "2")  # another channel, with no rules of its own
    assert refused.error and refused.text == "Here only the chat's admins may use Bardling."
    await on("/chat who everyone", "2", user="3", admin=True)  # this channel's own rule wins
    assert (await on("/poem Hello", "2")).text == "/poem is turned off in this chat."
    shown = (await on("/chat", "2")).text
    assert "who may use Bardling: everyone (this channel's rule)" in shown
    assert "turned off: /poem (this server's rule)" in shown
    await on("/chat enable poem", "2", user="3", admin=True)
    assert not (await on("/poem Hello", "2")).error
    assert (await on("/poem Hello", "3")).error  # still off in the server's other channels
    assert not (await say("/poem Hello", user="2", chat="2", platform="discord", server="8")).error


async def test_telegram_has_no_server_rules(say: Say) -> None:
    refused = await say("/chat scope:server cooldown:30", user="3", chat=GROUP, chat_admin=True)
    assert refused.error and refused.text == "There is no server here: scope:server is for Discord servers."
    assert "cooldown: none" in (await say("/chat", user="3", chat=GROUP)).text
