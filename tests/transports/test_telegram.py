"""The Telegram transport: real python-telegram-bot, fake Bot API server, real core on tiny models."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app import Bardling
from bot.core.core import INTERNAL_ERROR
from bot.core.types import Notice
from bot.transports.telegram import TelegramStartError, TelegramTransport
from tests.fakes.telegram_api import BOT_USERNAME, MAX_TEXT, FakeTelegram
from tests.transports.bots import LONG_TEXT, PNG, TELEGRAM_ADMIN, ask, letters, telegram_bot
from tests.transports.conftest import MakeSettings

USER = 42


@pytest.fixture
def settings(make_settings: MakeSettings, telegram_api: FakeTelegram) -> MakeSettings:
    def make(**overrides: object) -> object:
        return make_settings(
            **{"telegram_token": telegram_api.token, "telegram_base_url": telegram_api.base_url, **overrides}
        )

    return make  # type: ignore[return-value]


async def poem(api: FakeTelegram, user: int, seed: str = "Forsooth this maketh", count: int = 1) -> dict:
    """Send /poem and return the message the bot answered with."""
    api.send_text(user, f"/poem {seed}")
    sent = await api.wait_sent(user, count)
    return sent[count - 1].result


async def test_poem_is_plain_text_with_save_and_again_buttons(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/poem Forsooth <b>this</b> *maketh* @everyone")
        (call,) = await telegram_api.wait_sent(USER)
    # the seed as typed (no parse mode to inject into), its mention defused: a look-alike ＠, no ping
    assert call.text.startswith("Forsooth <b>this</b> *maketh* \uff20everyone")
    assert "< > / * @" in call.text  # the core names them; sent as typed, no parse mode to inject into
    assert "parse_mode" not in call.params
    labels = [label for label, _ in call.buttons()]
    assert labels == ["⭐ Save", "🔁 Again", "🖼 Card"]
    for _, data in call.buttons():
        command, _, generation_id = data.partition(":")
        assert command in ("fav", "again", "card") and generation_id.isdigit()
        assert len(data.encode()) <= 64


async def test_command_menu_lists_the_core_commands_and_admin_ones_for_admins(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        everyone = {c.name for c in app.core.commands()}
        admins = {c.name for c in app.core.commands(admin=True)}
    menus = {
        json.dumps(c.json("scope"), sort_keys=True): {x["command"] for x in c.json("commands")}
        for c in telegram_api.sent(method="setMyCommands")
    }
    assert menus[json.dumps({"type": "default"})] == everyone
    assert "secret" not in everyone
    assert menus[json.dumps({"chat_id": TELEGRAM_ADMIN, "type": "chat"}, sort_keys=True)] == admins


async def test_save_button_stores_a_favourite_that_favs_lists(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        message = await poem(telegram_api, USER)
        fav = dict((label, data) for label, data in _buttons(message))["⭐ Save"]
        generation_id = fav.split(":")[1]
        query = telegram_api.press(USER, message, fav)
        await telegram_api.wait_for(
            lambda calls: any(c.params.get("callback_query_id") == query for c in calls)
        )
        telegram_api.send_text(USER, "/favs")
        listing = (await telegram_api.wait_sent(USER, 2))[1]
        stored = await ask(app, "telegram", USER, "favs")
    (answer,) = [
        c for c in telegram_api.sent(method="answerCallbackQuery") if c.params["callback_query_id"] == query
    ]
    assert f"#{generation_id}" in answer.text  # a toast, not a new message
    assert f"#{generation_id}" in listing.text
    assert f"#{generation_id}" in stored.text


async def test_again_button_posts_a_new_poem_with_its_own_buttons(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        message = await poem(telegram_api, USER)
        again = dict(_buttons(message))["🔁 Again"]
        telegram_api.press(USER, message, again)
        second = (await telegram_api.wait_sent(USER, 2))[1]
    assert second.text.startswith("Forsooth this maketh")
    assert [label for label, _ in second.buttons()] == ["⭐ Save", "🔁 Again", "🖼 Card"]
    assert second.buttons() != [tuple(b) for b in _buttons(message)]


async def test_forged_button_data_gets_a_short_answer(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        message = await poem(telegram_api, USER)
        query = telegram_api.press(USER, message, "not a payload")
        await telegram_api.wait_for(
            lambda calls: any(c.params.get("callback_query_id") == query for c in calls)
        )
    (answer,) = telegram_api.sent(method="answerCallbackQuery")
    assert answer.text == "This button no longer works."


async def test_rate_limit_is_explained(settings: MakeSettings, telegram_api: FakeTelegram) -> None:
    async with telegram_bot(settings(rate_limit_burst=1, rate_limit_per_minute=1.0)):
        await poem(telegram_api, USER)
        telegram_api.send_text(USER, "/poem again")
        refusal = (await telegram_api.wait_sent(USER, 2))[1]
    assert refusal.text.startswith("Easy there")
    assert refusal.buttons() == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/poem temperature:9", "temperature must be a number from 0.1 to 2."),
        ("/poem hi model:nosuch", "Unknown model"),
        ("/nosuchcommand", "Unknown command /nosuchcommand"),
        ("/poem " + "x" * 10_000, "Seed too long"),
        ("/dinoname 99", "count must be a whole number from 1 to 20."),
    ],
)
async def test_bad_input_gets_a_short_clear_reply(
    settings: MakeSettings, telegram_api: FakeTelegram, line: str, expected: str
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, line)
        (reply,) = await telegram_api.wait_sent(USER)
        telegram_api.send_text(USER, "/poem still here")  # and the bot keeps working
        after = (await telegram_api.wait_sent(USER, 2))[1]
    assert reply.text.startswith(expected)
    assert len(reply.text) < 200
    assert after.text.startswith("still here")


async def test_admin_only_command_is_refused_to_others(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/secret")
        telegram_api.send_text(TELEGRAM_ADMIN, "/secret")
        (refusal,) = await telegram_api.wait_sent(USER)
        (granted,) = await telegram_api.wait_sent(TELEGRAM_ADMIN)
    assert refusal.text == "/secret is for admins only."
    assert granted.text == "the admin secret"


async def test_restart_keeps_favourites_and_old_buttons_work(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        message = await poem(telegram_api, USER)
        fav = dict(_buttons(message))["⭐ Save"]
        telegram_api.press(USER, message, fav)
        await telegram_api.wait_for(lambda calls: any(c.method == "answerCallbackQuery" for c in calls))
    async with telegram_bot(settings()) as (app, _):
        telegram_api.press(USER, message, dict(_buttons(message))["🔁 Again"])  # a button from before
        again = (await telegram_api.wait_sent(USER, 2))[1]
        favs = await ask(app, "telegram", USER, "favs")
    assert f"#{fav.split(':')[1]}" in favs.text
    assert again.text.startswith("Forsooth this maketh")


async def test_typing_is_shown_while_a_command_takes_long(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/slow")
        (done,) = await telegram_api.wait_sent(USER)
    actions = telegram_api.sent(USER, "sendChatAction")
    assert done.text == "done slowly"
    assert actions and all(a.params["action"] == "typing" for a in actions)


async def test_long_replies_are_split_at_line_breaks(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/long")
        parts = await telegram_api.wait_sent(USER, 3)
    assert all(len(p.text) <= MAX_TEXT for p in parts)
    assert "\n".join(p.text for p in parts) == LONG_TEXT


async def test_images_are_sent_as_photos(settings: MakeSettings, telegram_api: FakeTelegram) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/picture")
        (photo,) = await telegram_api.wait_sent(USER, method="sendPhoto")
    assert photo.params["caption"] == "a picture"
    assert photo.files["photo"] == PNG


async def test_an_uploaded_document_reaches_the_core_with_its_command(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_document(USER, "../corpus.txt", b"To be, or not to be", caption="/upload")
        (reply,) = await telegram_api.wait_sent(USER)
    assert reply.text == "got corpus\u2024txt: To be, or not to be"  # the dot defused: no link


async def test_group_commands_addressed_to_the_bot_are_answered_in_the_group(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    group = -100_123
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, f"/poem@{BOT_USERNAME} Hark", chat_id=group)
        (reply,) = await telegram_api.wait_sent(group)
    assert reply.text.startswith("Hark")


async def test_notices_edit_the_message_with_the_same_key(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        for percent in (10, 50, 50, 90):
            assert await app.core.notify("telegram", Notice(str(USER), f"training {percent}%", key="job1"))
        assert await app.core.notify("telegram", Notice(str(USER), "another job", key="job2"))
    sent = telegram_api.sent(USER)
    edits = telegram_api.sent(USER, "editMessageText")
    assert [c.text for c in sent] == ["training 10%", "another job"]
    assert [c.text for c in edits] == ["training 50%", "training 50%", "training 90%"]


async def test_a_failed_send_is_apologised_for_and_loses_nothing_else(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.fail_next("sendMessage", 400, "Bad Request: message is too long")
        telegram_api.send_text(USER, "/poem first")
        failed, apology = await telegram_api.wait_sent(USER, 2)
        telegram_api.send_text(USER, "/poem second")
        after = (await telegram_api.wait_sent(USER, 3))[2]
    assert isinstance(failed.result, Exception) and failed.text.startswith("first")
    assert apology.text == INTERNAL_ERROR
    assert after.text.startswith("second")


async def test_a_rejected_token_stops_start_without_showing_it(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    bad = settings(telegram_token="999:wrong-secret")
    async with Bardling(bad) as app:
        transport = TelegramTransport(app.core, bad)
        with pytest.raises(TelegramStartError) as caught:
            await transport.start()
    assert "wrong-secret" not in str(caught.value)


@pytest.mark.slow
async def test_a_hundred_concurrent_users_lose_nothing(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    users = range(10_000, 10_100)
    async with telegram_bot(settings()) as (app, _):
        for user in users:
            telegram_api.send_text(user, f"/poem Verse {letters(user)}")
        await telegram_api.wait_for(lambda _: all(telegram_api.sent(u) for u in users), within=60)
        saves = {}
        for user in users:
            (reply,) = telegram_api.sent(user)
            assert reply.text.startswith(f"Verse {letters(user)}")
            saves[user] = dict(reply.buttons())["⭐ Save"]
            telegram_api.press(user, reply.result, saves[user])
        await telegram_api.wait_for(
            lambda calls: sum(c.method == "answerCallbackQuery" for c in calls) >= len(users), within=60
        )
        listings = await asyncio.gather(*(ask(app, "telegram", u, "favs") for u in users))
    assert len({data for data in saves.values()}) == len(users)
    for user, listing in zip(users, listings, strict=True):
        assert f"#{saves[user].split(':')[1]} " in listing.text


def _buttons(message: dict) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]
