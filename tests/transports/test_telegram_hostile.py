"""Telegram against hostile or unusual input: other bots' commands, deep links, mentions and links in
echoes, strangers' attachments, lone surrogates, and button presses answered before the work."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.transports.bots import TELEGRAM_ADMIN, telegram_bot
from tests.transports.conftest import MakeSettings
from tests.transports.test_telegram import poem

USER = 42
GROUP = -100_777


@pytest.fixture
def settings(make_settings: MakeSettings, telegram_api: FakeTelegram) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        options = {"telegram_token": telegram_api.token, "telegram_base_url": telegram_api.base_url}
        return make_settings(**{**options, **overrides})

    return make


async def test_a_deep_link_start_greets_like_start(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/start ref_github")
        (reply,) = await telegram_api.wait_sent(USER)
    assert reply.text.startswith("Hello User42! I am Bardling")


async def test_commands_for_another_bot_are_left_to_it(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/help@OtherBot", chat_id=GROUP)  # quicker to answer than a poem
        telegram_api.send_text(USER, f"/poem@{BOT_USERNAME} Hark", chat_id=GROUP)
        telegram_api.send_text(USER, "/poem Lone", chat_id=GROUP)
        replies = await telegram_api.wait_sent(GROUP, 2)
    assert sorted(r.text[:4] for r in replies) == ["Hark", "Lone"]
    assert len(telegram_api.sent(GROUP)) == 2  # nothing for /help@OtherBot


async def test_echoes_never_mention_link_or_carry_bidi_characters(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/help @victim", chat_id=GROUP)
        telegram_api.send_text(USER, "/poem hi model:https://evil.example.com/x", chat_id=GROUP)
        telegram_api.send_text(USER + 1, "/start", chat_id=GROUP, name="Eve\u202egnp.exe\u200b")
        replies = await telegram_api.wait_sent(GROUP, 3)
    texts = "\n".join(r.text for r in replies)
    assert "Unknown command /\uff20victim" in texts  # shown alike, but no mention that notifies
    assert "https\u2236//evil\u2024example\u2024com/x" in texts  # and no link
    assert "Hello Evegnp\u2024exe!" in texts  # no bidi override, no zero-width space
    for harmful in ("@", "://", "evil.example", "\u202e", "\u200b"):
        assert harmful not in texts


async def test_attachments_are_fetched_only_for_commands_that_take_them_from_users_allowed(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_document(USER, "corpus.txt", b"To be, or not to be", caption="/retrain dinos")
        telegram_api.send_document(USER + 1, "corpus.txt", b"To be, or not to be", caption="/poem Hark")
        (refusal,) = await telegram_api.wait_sent(USER)
        (verse,) = await telegram_api.wait_sent(USER + 1)
        assert telegram_api.downloads == [] and telegram_api.sent(method="getFile") == []
        telegram_api.send_document(TELEGRAM_ADMIN, "corpus.txt", b"To be", caption="/upload")
        (granted,) = await telegram_api.wait_sent(TELEGRAM_ADMIN)
    assert refusal.text == "/retrain is for admins only."
    assert verse.text.startswith("Hark")
    assert granted.text == "got corpus\u2024txt: To be" and len(telegram_api.downloads) == 1  # no link


async def test_lone_surrogates_in_the_json_are_dropped(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        telegram_api.send_text(USER, "/poem a\ud800b")
        telegram_api.send_text(USER + 1, "/nosuch\udfffx")
        (verse,) = await telegram_api.wait_sent(USER)
        (refusal,) = await telegram_api.wait_sent(USER + 1)
    assert verse.text.startswith("ab") and verse.buttons()  # generated and stored
    assert refusal.text == "Unknown command /nosuchx — try /help"


async def test_a_press_that_generates_is_answered_at_once_then_typing_then_the_verse(
    settings: MakeSettings, telegram_api: FakeTelegram
) -> None:
    async with telegram_bot(settings()):
        message = await poem(telegram_api, USER)
        again = dict((label, data) for label, data in _buttons(message))["🔁 Again"]
        query = telegram_api.press(USER, message, again)
        second = (await telegram_api.wait_sent(USER, 2))[1]
    calls = telegram_api.calls
    first_reply = next(i for i, c in enumerate(calls) if c.method == "sendMessage")
    after = [
        c.method
        for c in calls[first_reply + 1 :]
        if c.method in ("answerCallbackQuery", "sendChatAction", "sendMessage")
    ]
    assert after == ["answerCallbackQuery", "sendChatAction", "sendMessage"]
    (answer,) = telegram_api.sent(method="answerCallbackQuery")
    assert answer.params["callback_query_id"] == query and "text" not in answer.params
    assert second.text.startswith("Forsooth this maketh")


def _buttons(message: dict) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]
