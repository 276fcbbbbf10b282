"""Telegram inline mode: ``@bot Forsooth this maketh`` in any chat offers poems to post.

An inline query is translated into the core's own commands (``/poem <text>``, or ``/dinoname …``
for ``dino …``) run a few times, each spending the user's rate-limit budget and stored like any
other generation, so the ⭐ / 🔁 / 🖼 buttons work on the posted message. Telegram sends a query
at each pause in typing: a query is answered only once the user has stopped typing for
``SETTLE_S`` (a newer query from the same user supersedes it), and answers are kept for
``CACHE_S`` per user and text, so retyping the same words costs nothing.

Generations made inline belong to the chat ``inline``: a posted inline message is public wherever
it was posted, so anyone pressing its buttons may save it or ask for another, as in a group. A
press on an inline message carries ``inline_message_id`` and no chat: 🔁 replaces the poem in
place (the bot may not be a member of that chat), a card is sent to the presser's private chat,
and acknowledgements show as toasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
    User,
)
from telegram.constants import CallbackQueryLimit
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.core import CommandCore
from bot.core.i18n import N_, translator
from bot.core.types import Button, Invocation, Reply
from bot.transports.buttons import is_brief
from bot.transports.telegram_text import defuse
from bot.transports.text_split import TELEGRAM_LIMIT, message_parts

log = logging.getLogger(__name__)

PLATFORM = "telegram"
INLINE_CHAT = "inline"  # the chat every inline generation belongs to (see the module docstring)
RESULTS = 3  # poems offered per query: each spends one token of the user's budget
SETTLE_S = 0.6  # a query newer than this from the same user supersedes it
CACHE_S = 30  # answers reused for the same user and text, here and in Telegram's own cache
CACHE_MAX = 2_000
NAMES_WORDS = ("dino", "dinos", "dinoname")  # ``@bot dino Tyr`` → /dinoname Tyr
HINT = N_("Type opening words for a poem, or dino for names")
START_PARAMETER = "inline"  # the button under the results opens a private chat with /start inline
TITLE_CHARS = 64
DESCRIPTION_CHARS = 120
BUTTON_CHARS = 64  # what a client shows of the button over the results
TOAST_LIMIT = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
CARD_UNDELIVERED = N_("Open a private chat with me (press Start) to receive cards.")

Keyboard = Callable[[list[Button]], InlineKeyboardMarkup | None]
SendPrivately = Callable[[int, Reply], Awaitable[object]]


def inline_command(text: str) -> tuple[str, str] | None:
    """The command an inline query stands for, or None for an empty one (nothing is generated)."""
    text = text.strip()
    if not text:
        return None
    first, _, rest = text.partition(" ")
    if first.lower() in NAMES_WORDS:
        return "dinoname", rest.strip()
    return "poem", text


@dataclass(frozen=True)
class _Answer:
    results: list[InlineQueryResultArticle]
    refusal: str | None  # why nothing (or fewer) could be offered: shown as the button over results


class InlineMode:
    """The handlers the Telegram transport registers for inline queries and inline-message presses."""

    def __init__(self, core: CommandCore, keyboard: Keyboard) -> None:
        self._core = core
        self._keyboard = keyboard
        self._latest: dict[int, str] = {}  # user id -> id of their newest query
        self._cache: dict[tuple[int, str], tuple[float, _Answer]] = {}

    async def on_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        asked = inline_command(query.query)
        if asked is None:
            await _answer(query, _Answer([], translator(query.from_user.language_code)(HINT)))
            return
        self._latest[query.from_user.id] = query.id
        await asyncio.sleep(SETTLE_S)
        if self._latest.get(query.from_user.id) != query.id:
            return  # the user typed on: a newer query answers for this one
        self._latest.pop(query.from_user.id, None)
        key = (query.from_user.id, query.query.strip())
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            answer = cached[1]
        else:
            answer = await self._make(query.from_user, *asked)
            if answer.results:
                self._remember(key, now + CACHE_S, answer)
        await _answer(query, answer)

    async def _make(self, user: User, command: str, args: str) -> _Answer:
        invocation = _invocation(user, command, args)
        replies = await asyncio.gather(*(self._core.handle(invocation) for _ in range(RESULTS)))
        made = [r for r in replies if not r.error and r.generation_id is not None]
        refusal = next((r.text for r in replies if r.error), None)
        return _Answer([self._result(r) for r in made], refusal)

    def _result(self, reply: Reply) -> InlineQueryResultArticle:
        text = message_parts(defuse(reply.text), TELEGRAM_LIMIT)[0]
        lines = [line for line in text.splitlines() if line.strip()]
        return InlineQueryResultArticle(
            id=str(reply.generation_id),
            title=(lines[0] if lines else text)[:TITLE_CHARS],
            description=" / ".join(lines[1:4])[:DESCRIPTION_CHARS] or None,
            input_message_content=InputTextMessageContent(text),
            reply_markup=self._keyboard(reply.buttons),
        )

    def _remember(self, key: tuple[int, str], until: float, answer: _Answer) -> None:
        if len(self._cache) >= CACHE_MAX:
            now = time.monotonic()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
        self._cache[key] = (until, answer)

    async def on_press(
        self, query: CallbackQuery, command: str, arg: str, send_privately: SendPrivately
    ) -> None:
        """A button on a message posted inline: toast, edit in place, or a private message."""
        assert query.inline_message_id is not None
        reply = await self._core.handle(_invocation(query.from_user, command, arg))
        if is_brief(reply):
            await _toast(query, reply.text, alert=reply.error)
            return
        if reply.generation_id is not None and reply.image is None:
            text = message_parts(defuse(reply.text), TELEGRAM_LIMIT)[0]
            await query.edit_message_text(text, reply_markup=self._keyboard(reply.buttons))
            await _toast(query, "")
            return
        try:
            await send_privately(query.from_user.id, reply)
        except TelegramError as err:  # the user never started a private chat with the bot
            log.info("could not send an inline press's answer privately: %s", err)
            await _toast(query, translator(query.from_user.language_code)(CARD_UNDELIVERED), alert=True)
            return
        await _toast(query, "")


def _invocation(user: User, command: str, args: str) -> Invocation:
    return Invocation(
        platform=PLATFORM,
        user_id=str(user.id),
        user_name=user.full_name,
        chat_id=INLINE_CHAT,
        command=command,
        args=args,
        locale=user.language_code or "",
    )


async def _answer(query: InlineQuery, answer: _Answer) -> None:
    button = None
    if answer.refusal and not answer.results:
        text = defuse(answer.refusal).splitlines()[0][:BUTTON_CHARS]
        button = InlineQueryResultsButton(text, start_parameter=START_PARAMETER)
    cache_time = CACHE_S if answer.results else 0  # a refusal (rate limit) is not worth keeping
    with contextlib.suppress(TelegramError):  # too old: the user has moved on
        await query.answer(answer.results, cache_time=cache_time, is_personal=True, button=button)


async def _toast(query: CallbackQuery, text: str, *, alert: bool = False) -> None:
    with contextlib.suppress(TelegramError):
        await query.answer(defuse(text)[:TOAST_LIMIT] or None, show_alert=alert)
