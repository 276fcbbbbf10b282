"""Favourites, history, /forget, /help, /models, rate limits, admin-only commands, failures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.core.args import Args
from bot.core.context import Context
from bot.core.registry import Command
from bot.core.types import CommandSpec, Invocation, Notice, Reply
from tests.core.conftest import Say


async def test_fav_favs_unfav(say: Say) -> None:
    ids = [(await say(f"/poem Verse {c}")).generation_id for c in "abcdefg"]
    assert (await say("/fav")).text == f"⭐ Saved #{ids[-1]} to your favourites."
    assert (await say(f"/fav {ids[-1]}")).text == f"#{ids[-1]} is already in your favourites."
    for i in ids[:-1]:
        assert not (await say(f"/fav {i}")).error
    page1 = (await say("/favs")).text
    assert page1.startswith("Your favourites, page 1 of 2:") and "More: /favs 2" in page1
    assert f"#{ids[5]} · shakespeare — Verse f" in page1  # newest saved first
    page2 = (await say("/favs 2")).text
    assert f"#{ids[0]} · shakespeare — Verse a" in page2 and f"#{ids[6]} · shakespeare — Verse g" in page2
    assert "More:" not in page2
    assert (await say("/favs 3")).text == "You have 2 pages of favourites — try /favs 2."
    assert (await say(f"/unfav {ids[0]}")).text == f"Removed #{ids[0]} from your favourites."
    assert (await say(f"/unfav {ids[0]}")).error


async def test_others_generations_are_reachable_only_in_the_chat_they_were_shown_in(say: Say) -> None:
    mine = (await say("/poem Mine", user="1", chat="group")).generation_id
    # another member of the same group may save it (the button is under it for everyone)
    assert not (await say(f"/fav {mine}", user="2", chat="group")).error
    # from anywhere else, it does not exist for them
    for line in (f"/fav {mine}", f"/replay {mine}", f"/again {mine}", f"/show {mine}"):
        reply = await say(line, user="3", chat="3")
        assert reply.error and reply.text == f"No generation #{mine} here — see /history.", line
    # and the same id on another platform is another chat
    assert (await say(f"/fav {mine}", user="2", chat="group", platform="discord")).error


async def test_history_and_show(say: Say) -> None:
    assert (await say("/history")).text == "Nothing made yet — try /poem or /dinoname."
    a = await say("/poem First")
    await say("/dinoname 2")
    history = (await say("/history")).text
    assert history.startswith("Your last 2 generations:") and "/dinoname · dinos" in history
    shown = await say(f"/show {a.generation_id}")
    assert shown.text.split("\n\n")[0] == a.text.split("\n\n")[0]


async def test_forget_asks_then_deletes_only_my_data(say: Say) -> None:
    assert (await say("/forget")).text == "Bardling stores nothing about you."
    await say("/poem Mine")
    await say("/fav")
    await say("/poem Theirs", user="2")
    await say("/fav", user="2")
    ask = await say("/forget")
    assert "1 generation and 1 favourite" in ask.text and "/forget confirm" in ask.text
    done = await say("/forget confirm")
    assert done.text == "Done: deleted 1 generation and 1 favourite. Bardling no longer knows you."
    assert (await say("/favs")).text.startswith("No favourites yet")
    assert (await say("/history")).text.startswith("Nothing made yet")
    assert "Your favourites, page 1 of 1" in (await say("/favs", user="2")).text
    assert (await say("/forget confirm", user="2")).error  # never asked
    assert (await say("/forget please")).text == "Usage: /forget, then /forget confirm"


async def test_an_expired_forget_request_does_nothing(bot_settings: Settings) -> None:
    async with Bardling(replace_settings(bot_settings, forget_confirm_minutes=0)) as app:
        inv = Invocation("telegram", "1", "u", "1", "poem", "x")
        await app.core.handle(inv)
        await app.core.handle(replace(inv, command="forget", args=""))
        reply = await app.core.handle(replace(inv, command="forget", args="confirm"))
        assert reply.error and reply.text.startswith("Nothing to confirm")


def replace_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


async def test_generation_is_rate_limited_per_user_but_cheap_commands_are_not(bot_settings: Settings) -> None:
    async with Bardling(replace_settings(bot_settings, rate_limit_burst=2, rate_limit_per_minute=1)) as app:
        inv = Invocation("telegram", "1", "u", "1", "poem", "O")
        assert not (await app.core.handle(inv)).error
        assert not (await app.core.handle(replace(inv, command="dinoname", args=""))).error
        limited = await app.core.handle(inv)
        assert limited.error and limited.text.startswith("Easy there — you can generate again in")
        assert not (await app.core.handle(replace(inv, command="favs", args=""))).error
        assert not (await app.core.handle(replace(inv, user_id="2"))).error  # another user's bucket
        # bad input costs no token
        assert (await app.core.handle(replace(inv, user_id="3", args="O temperature:9"))).error
        assert not (await app.core.handle(replace(inv, user_id="3"))).error


async def test_help_models_start(say: Say) -> None:
    help_text = (await say("/help")).text
    assert "/poem — " in help_text and "/forget — " in help_text
    assert (await say("/help poem")).text.startswith("/poem [seed] [model:…] [temperature:…] [length:…]")
    assert (await say("/help nope")).error
    models = (await say("/models")).text
    assert "shakespeare v1 (verse)" in models and "dinos v1 (names)" in models
    assert (await say("/start")).text.startswith("Hello user 1!")


async def _secret(ctx: Context, args: Args) -> Reply:
    return Reply("the secret")


async def test_admin_only_commands_refuse_others_and_hide_from_them(bot_settings: Settings) -> None:
    settings = replace_settings(bot_settings, admins=["telegram:9"])
    async with Bardling(settings) as app:
        app.core.registry.add(Command(CommandSpec("secret", "Admins only", admin_only=True), _secret))
        user = Invocation("telegram", "1", "u", "1", "secret")
        admin = replace(user, user_id="9")
        refused = await app.core.handle(user)
        assert refused.error and refused.text == "/secret is for admins only."
        assert (await app.core.handle(admin)).text == "the secret"
        assert "secret" not in [c.name for c in app.core.commands()]
        assert "secret" in [c.name for c in app.core.commands(admin=True)]
        assert "/secret" not in (await app.core.handle(replace(user, command="help"))).text
        assert "/secret" in (await app.core.handle(replace(admin, command="help"))).text
        app.core.set_admin("telegram:1", True)
        assert (await app.core.handle(user)).text == "the secret"


async def test_a_failure_inside_is_a_reply_not_an_exception(
    say: Say, bot_app: Bardling, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot_app.engine, "generate", broken)
    reply = await say("/poem O")
    assert reply.error and reply.text == "Something went wrong on my side — please try again."
    assert "disk on fire" in caplog.text


async def test_notices_reach_the_registered_transport(bot_app: Bardling) -> None:
    got: list[Notice] = []

    class Collector:
        async def notify(self, notice: Notice) -> None:
            got.append(notice)

    notice = Notice("chat-1", "Job 3: 40%", key="job-3")
    assert await bot_app.core.notify("telegram", notice) is False
    bot_app.core.register_notifier("telegram", Collector())
    assert await bot_app.core.notify("telegram", notice) is True
    assert got == [notice]
    assert bot_app.core.model_names() == ["dinos", "shakespeare"]


async def test_a_restart_keeps_favourites(bot_settings: Settings, tmp_path: Path) -> None:
    inv = Invocation("console", "local", "me", "local", "poem", "Keep me")
    async with Bardling(bot_settings) as app:
        made = await app.core.handle(inv)
        await app.core.handle(replace(inv, command="fav", args=""))
    async with Bardling(bot_settings) as app:
        favs = await app.core.handle(replace(inv, command="favs", args=""))
        assert f"#{made.generation_id} · shakespeare — Keep me" in favs.text
