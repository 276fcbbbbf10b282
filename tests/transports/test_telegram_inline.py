"""Telegram inline mode through the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import pytest

from bot.storage import generations
from bot.transports.telegram_inline import CACHE_S, HINT, RESULTS
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.transports.bots import ask, telegram_bot
from tests.transports.conftest import MakeSettings

USER, FRIEND = 42, 43


@pytest.fixture
def settings(make_settings: MakeSettings, telegram_api: FakeTelegram) -> MakeSettings:
    def make(**overrides: object) -> object:
        return make_settings(
            **{"telegram_token": telegram_api.token, "telegram_base_url": telegram_api.base_url, **overrides}
        )

    return make  # type: ignore[return-value]


async def answered(api: FakeTelegram, user: int, text: str) -> Call:
    query_id = api.inline_query(user, text)
    await api.wait_for(lambda _: api.answer_to(query_id) is not None)
    answer = api.answer_to(query_id)
    assert answer is not None
    return answer


def buttons(markup: dict | None) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in (markup or {}).get("inline_keyboard", []) for b in row}


async def test_a_query_offers_stored_poems_with_their_buttons(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        answer = await answered(telegram_api, USER, "Forsooth this maketh")
        results = answer.json("results")
        rows = [await generations.get(app.storage, int(r["id"])) for r in results]
    assert len(results) == RESULTS
    assert answer.params["is_personal"] == "true" and answer.params["cache_time"] == str(CACHE_S)
    for result, row in zip(results, rows, strict=True):
        assert row is not None and (row.chat_id, row.command, row.seed_text) == (
            "telegram:inline",
            "poem",
            "Forsooth this maketh",
        )
        text = result["input_message_content"]["message_text"]
        assert text.startswith("Forsooth this maketh") and f"#{row.id} · shakespeare" in text
        assert result["title"].startswith("Forsooth")
        assert set(buttons(result["reply_markup"]).values()) == {
            f"{c}:{row.id}" for c in ("fav", "again", "card")
        }


async def test_buttons_work_on_the_posted_message_for_anyone_who_sees_it(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        answer = await answered(telegram_api, USER, "Forsooth this maketh")
        posted = telegram_api.choose(answer, 1)
        keys = buttons(telegram_api.inline_messages[posted]["reply_markup"])
        generation_id = keys["⭐ Save"].split(":")[1]

        saved = telegram_api.press_inline(FRIEND, posted, keys["⭐ Save"])
        await telegram_api.wait_for(
            lambda calls: any(c.params.get("callback_query_id") == saved for c in calls)
        )
        favs = await ask(app, "telegram", FRIEND, "favs")

        again = telegram_api.press_inline(USER, posted, keys["🔁 Again"])
        await telegram_api.wait_for(
            lambda calls: any(c.params.get("callback_query_id") == again for c in calls)
        )
        edited = telegram_api.inline_messages[posted]

        card = telegram_api.press_inline(USER, posted, keys["🖼 Card"])
        (photo,) = await telegram_api.wait_sent(USER, method="sendPhoto")
    (toast,) = [
        c for c in telegram_api.sent(method="answerCallbackQuery") if c.params["callback_query_id"] == saved
    ]
    assert f"#{generation_id}" in toast.params["text"]
    assert f"#{generation_id}" in favs.text
    assert (
        edited["text"].startswith("Forsooth this maketh")
        and f"Again, from #{generation_id}." in edited["text"]
    )
    assert buttons(edited["reply_markup"])["⭐ Save"] != keys["⭐ Save"]  # the new poem's own buttons
    assert photo.params["caption"] == f"#{generation_id} · shakespeare v1" and card


async def test_the_same_query_again_is_answered_from_the_cache(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        first = await answered(telegram_api, USER, "O gentle night")
        second = await answered(telegram_api, USER, "O gentle night ")
        history = await ask(app, "telegram", USER, "history")
    assert [r["id"] for r in first.json("results")] == [r["id"] for r in second.json("results")]
    assert history.text.count("/poem") == RESULTS  # the second answer made nothing new


async def test_dino_offers_names_and_an_empty_query_a_hint(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        names = await answered(telegram_api, USER, "dino")
        hint = await answered(telegram_api, USER, "  ")
        rows = [await generations.get(app.storage, int(r["id"])) for r in names.json("results")]
    assert rows and all(row is not None and row.command == "dinoname" for row in rows)
    assert hint.json("results") == [] and hint.json("button")["text"] == HINT


async def test_the_per_user_budget_applies(settings: MakeSettings, telegram_api: FakeTelegram) -> None:
    async with telegram_bot(settings(rate_limit_burst=2, rate_limit_per_minute=1.0)):
        some = await answered(telegram_api, USER, "Forsooth")
        none = await answered(telegram_api, USER, "Forsooth this")
    assert len(some.json("results")) == 2
    assert none.json("results") == [] and none.params["cache_time"] == "0"
    assert "again in" in none.json("button")["text"].lower()


async def test_a_query_superseded_while_typing_is_not_answered(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()) as (app, _):
        early = telegram_api.inline_query(USER, "Forso")
        final = await answered(telegram_api, USER, "Forsooth")
        history = await ask(app, "telegram", USER, "history")
    assert telegram_api.answer_to(early) is None and final.json("results")
    assert history.text.count("/poem") == RESULTS  # only the final query spent the budget
