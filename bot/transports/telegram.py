"""Telegram transport (python-telegram-bot 22): updates become ``Invocation``s, ``Reply``s messages.

It only translates. Commands, validation, limits and permissions all live in the command core;
this module knows Telegram's shapes: ``/cmd@bot args`` lines, inline keyboards whose
``callback_data`` is ``command:id``, the 4,096-character limit, chat actions, photos and files.
Texts are sent without a parse mode, so generated text can never inject markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Chat,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import BotCommandLimit, CallbackQueryLimit, ChatAction, ChatType, MessageLimit
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.core.args import split_command
from bot.core.core import INTERNAL_ERROR, CommandCore
from bot.core.i18n import ENGLISH, LANGUAGES, N_, Translator, translator
from bot.core.types import Button, CommandSpec, Invocation, Notice, Reply
from bot.transports.buttons import decode_button, encode_button, is_brief
from bot.transports.sent_notices import SentNotices
from bot.transports.telegram_inline import InlineMode
from bot.transports.telegram_text import defuse
from bot.transports.text_split import TELEGRAM_LIMIT, message_parts, utf16_len
from bot.transports.uploads import UploadError, takes_file, uploaded

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

PLATFORM = "telegram"
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TOAST_LIMIT = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
TYPING_AFTER_S = 0.5  # quick answers need no indicator, and each action spends flood-limit budget
TYPING_EVERY_S = 4.5  # Telegram shows a chat action for about five seconds
TYPING_MAX_IN_FLIGHT = 8  # busier than this, replies get the flood-limit budget instead
DESCRIPTION_LIMIT = BotCommandLimit.MAX_DESCRIPTION
CHAT_ADMINS_TTL_S = 60.0  # a group's administrators, asked at most this often per group
KEYBOARD_ROW = 4  # buttons a row; a settings menu's choices wrap
DEEP_LINK_COMMAND = "start"  # what a t.me/<bot>?start=<payload> link sends, payload as its argument
STALE_BUTTON = N_("This button no longer works.")


class TelegramStartError(RuntimeError):
    """The bot could not start; the message never contains the token."""


def webhook_secret(token: str) -> str:
    """The ``X-Telegram-Bot-Api-Secret-Token`` every replica expects: one-way from the bot token."""
    return hashlib.sha256(f"bardling-webhook:{token}".encode()).hexdigest()


def file_base_url(base_url: str) -> str:
    """The file-download root that goes with a Bot API root (``…/bot`` → ``…/file/bot``)."""
    root = base_url.rstrip("/")
    return (root.removesuffix("/bot") if root.endswith("/bot") else root) + "/file/bot"


class TelegramTransport:
    """``await start()`` receives updates in the background until ``await stop()``."""

    platform = PLATFORM

    def __init__(self, core: CommandCore, settings: Settings) -> None:
        if settings.telegram_token is None:
            raise TelegramStartError("BARDLING_TELEGRAM_TOKEN is not set")
        if settings.telegram_webhook_url and not settings.telegram_webhook_url.startswith("https://"):
            raise TelegramStartError("BARDLING_TELEGRAM_WEBHOOK_URL must be an https:// URL")
        self._core = core
        self._settings = settings
        self._notices = SentNotices(path=settings.data_dir / f"sent_notices_{PLATFORM}.json")
        self._in_flight = 0
        self._chat_admins: dict[int, tuple[float, frozenset[int]]] = {}  # chat -> (until, user ids)
        # httpx logs every request URL at INFO, and the URL contains the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._app: Application = (
            ApplicationBuilder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_base_url)
            .base_file_url(file_base_url(settings.telegram_base_url))
            .concurrent_updates(True)
            .rate_limiter(AIORateLimiter(max_retries=3))
            .build()
        )
        commands = filters.COMMAND | (filters.Document.ALL & filters.CaptionRegex(r"^/"))
        self._app.add_handler(MessageHandler(commands, self._on_command))
        self._app.add_handler(CallbackQueryHandler(self._on_button))
        self._inline = InlineMode(core, _keyboard)
        self._app.add_handler(InlineQueryHandler(self._inline.on_query))
        self._app.add_error_handler(self._on_error)

    @property
    def bot(self) -> Bot:
        return self._app.bot

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Check the token, publish the command menu, start fetching updates; on failure, undo."""
        try:
            try:
                await self._app.initialize()  # getMe: checks the token
            except InvalidToken:
                raise TelegramStartError(
                    "Telegram rejected the bot token (BARDLING_TELEGRAM_TOKEN)"
                ) from None
            await self._publish_commands()
            self._core.register_notifier(PLATFORM, self)
            await self._app.start()
            await self._receive_updates()
        except BaseException:
            await self.stop()
            raise
        log.info("Telegram transport started as @%s", self.bot.username)

    async def _receive_updates(self) -> None:
        """Long polling, or, with a webhook URL, an HTTP server Telegram posts updates to.

        Every replica behind the same URL registers it (``setWebhook`` is idempotent) and checks
        the same secret header, derived from the token, so no replica needs extra configuration.
        Stopping leaves the webhook registered for the replicas still running; polling removes it.
        """
        updater = self._app.updater
        assert updater is not None
        allowed = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
        url = self._settings.telegram_webhook_url
        if not url:
            await updater.start_polling(allowed_updates=allowed)
            return
        assert self._settings.telegram_token is not None
        await updater.start_webhook(
            listen=self._settings.telegram_webhook_listen,
            port=self._settings.telegram_webhook_port,
            url_path=urlsplit(url).path.strip("/"),
            webhook_url=url,
            secret_token=webhook_secret(self._settings.telegram_token.get_secret_value()),
            allowed_updates=allowed,
        )

    async def stop(self) -> None:
        """Stop fetching, let handlers in flight finish, close the HTTP clients. Idempotent."""
        if self._app.updater is not None and self._app.updater.running:
            await self._app.updater.stop()
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()

    async def _publish_commands(self) -> None:
        """The command menu: everyone's commands, plus admin commands in each admin's own chat; in
        English for all, and once more per translated language for users whose app speaks it."""
        for lang in LANGUAGES:
            code = None if lang == ENGLISH else lang  # Telegram's language_code: ISO 639-1, e.g. "zh"
            t = translator(lang)
            await self.bot.set_my_commands(
                _bot_commands(self._core.commands(), t), scope=BotCommandScopeDefault(), language_code=code
            )
            admin_commands = _bot_commands(self._core.commands(admin=True), t)
            for admin in self._settings.admins:
                platform, _, user_id = admin.partition(":")
                if platform != PLATFORM or not user_id.lstrip("-").isdigit():
                    continue
                try:
                    await self.bot.set_my_commands(
                        admin_commands, scope=BotCommandScopeChat(int(user_id)), language_code=code
                    )
                except TelegramError as err:  # e.g. the admin has not opened a chat with the bot yet
                    log.warning("could not set the admin command menu for %s: %s", admin, err)

    # ------------------------------------------------------------------ updates
    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        line = message.text or message.caption or ""
        parsed = split_command(line)
        if parsed is None or not _addressed_to(line, self.bot.username):
            return
        command, args = parsed
        if command == DEEP_LINK_COMMAND:
            args = ""  # a t.me/<bot>?start=<payload> link sends "/start <payload>": greet all the same
        chat_id = message.chat_id
        document = message.document if takes_file(self._core, f"{PLATFORM}:{user.id}", command) else None
        try:
            upload = _downloaded(document, self._settings.retrain_max_upload_bytes)
            async with self._typing(chat_id), upload as attachment:
                admin = await self._is_chat_admin(message.chat, user, message.sender_chat)
                reply = await self._core.handle(
                    self._invocation(user, chat_id, command, args, attachment, chat_admin=admin)
                )
        except UploadError as err:
            reply = Reply(text=str(err), error=True)
        await self._send(chat_id, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        decoded = decode_button(query.data or "")
        if decoded is None:
            await query.answer(translator(query.from_user.language_code)(STALE_BUTTON))
            return
        command, arg = decoded
        if query.inline_message_id is not None:  # a message posted through inline mode
            await self._inline.on_press(query, command, arg, self._send)
            return
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        found = self._core.registry.get(command)
        generates = found is not None and found.generates
        if generates:
            # Answered at once: Telegram's deadline for a press is shorter than a busy generation.
            with contextlib.suppress(TelegramError):
                await query.answer()
        admin = query.message is None or await self._is_chat_admin(query.message.chat, query.from_user)
        invocation = self._invocation(query.from_user, chat_id, command, arg, chat_admin=admin)
        if generates:
            async with self._typing(chat_id, at_once=True):
                reply = await self._core.handle(invocation)
            await self._send(chat_id, reply)
            return
        async with self._typing(chat_id):
            reply = await self._core.handle(invocation)
        if is_brief(reply):
            await query.answer(defuse(reply.text)[:TOAST_LIMIT], show_alert=reply.error)
            return
        await query.answer()
        await self._send(chat_id, reply)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(context.error, TelegramError):  # Telegram refused a call: no traceback needed
            log.warning("Telegram call failed while handling an update: %s", context.error)
        else:
            log.error("error while handling a Telegram update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            user = update.effective_user
            with contextlib.suppress(TelegramError):
                text = translator(user.language_code if user else None)(INTERNAL_ERROR)
                await self.bot.send_message(update.effective_chat.id, text)

    @staticmethod
    def _invocation(
        user: User,
        chat_id: int,
        command: str,
        args: str,
        attachment: Path | None = None,
        *,
        chat_admin: bool = False,
    ) -> Invocation:
        return Invocation(
            platform=PLATFORM,
            user_id=str(user.id),
            user_name=user.full_name,
            chat_id=str(chat_id),
            command=command,
            args=args,
            attachment=attachment,
            chat_admin=chat_admin,
            locale=user.language_code or "",
        )

    async def _is_chat_admin(self, chat: Chat, user: User, sender_chat: Chat | None = None) -> bool:
        """Whether ``user`` administers ``chat``, as Telegram says (the core's ``/chat`` rules): the
        one user of a private chat does; in a group, its administrators (``getChatAdministrators``,
        remembered a minute per group), and an admin posting anonymously as the group itself."""
        if chat.type == ChatType.PRIVATE or (sender_chat is not None and sender_chat.id == chat.id):
            return True
        now = time.monotonic()
        until, admins = self._chat_admins.get(chat.id, (0.0, frozenset()))
        if until <= now:
            try:
                admins = frozenset(m.user.id for m in await self.bot.get_chat_administrators(chat.id))
            except TelegramError as err:  # e.g. the bot was removed meanwhile: nobody is an admin
                log.warning("could not list the administrators of chat %s: %s", chat.id, err)
                admins = frozenset()
            if len(self._chat_admins) > 10_000:
                self._chat_admins = {k: v for k, v in self._chat_admins.items() if v[0] > now}
            self._chat_admins[chat.id] = (now + CHAT_ADMINS_TTL_S, admins)
        return user.id in admins

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int, *, at_once: bool = False) -> AsyncIterator[None]:
        """Show "typing…" in the chat while the body runs, once it takes noticeably long (or
        ``at_once``: a button press that starts a generation, whose answer is already sent).

        Chat actions share the flood limit with replies, so when many commands are in flight the
        indicator is skipped: the budget goes to the answers themselves.
        """

        async def show() -> None:
            with contextlib.suppress(TelegramError):
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)

        async def keep_typing() -> None:
            await asyncio.sleep(TYPING_EVERY_S if at_once else TYPING_AFTER_S)
            while True:
                if self._in_flight <= TYPING_MAX_IN_FLIGHT:
                    await show()
                await asyncio.sleep(TYPING_EVERY_S)

        if at_once:
            await show()
        self._in_flight += 1
        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            self._in_flight -= 1
            task.cancel()

    # ------------------------------------------------------------------ replies
    async def _send(self, chat_id: int, reply: Reply | Notice) -> Message:
        """Send text (split at 4,096), an optional photo, and the keyboard under the last part."""
        markup = _keyboard(reply.buttons if isinstance(reply, Reply) else [])
        parts = message_parts(defuse(reply.text), TELEGRAM_LIMIT, with_image=reply.image is not None)
        if reply.image is not None:
            as_caption = len(parts) == 1 and utf16_len(parts[0]) <= CAPTION_LIMIT
            with reply.image.open("rb") as photo:
                sent = await self.bot.send_photo(
                    chat_id,
                    photo,
                    caption=(parts[0] or None) if as_caption else None,
                    reply_markup=markup if as_caption else None,
                )
            if as_caption:
                return sent
        for i, part in enumerate(parts):
            sent = await self.bot.send_message(
                chat_id, part, reply_markup=markup if i == len(parts) - 1 else None
            )
        return sent

    async def notify(self, notice: Notice) -> None:
        """Job progress and results: edit the message that showed the same key, else send."""
        chat_id = int(notice.chat_id)
        previous = self._notices.get(notice.chat_id, notice.key)
        one_message = len(message_parts(notice.text, TELEGRAM_LIMIT)) == 1
        if previous is not None and notice.image is None and one_message:
            try:
                await self.bot.edit_message_text(defuse(notice.text), chat_id=chat_id, message_id=previous)
                return
            except BadRequest as err:
                if "not modified" in err.message:
                    return
                # too old, deleted: fall back to a new message
        sent = await self._send(chat_id, notice)
        self._notices.remember(notice.chat_id, notice.key, sent.message_id)


@contextlib.asynccontextmanager
async def _downloaded(document: Document | None, max_bytes: int) -> AsyncIterator[Path | None]:
    """The document sent with the command, as a temporary file (None without one)."""
    if document is None:
        yield None
        return

    async def fetch(path: Path) -> None:
        await (await document.get_file()).download_to_drive(path)

    async with uploaded(document.file_name, document.file_size, max_bytes, fetch, (TelegramError,)) as path:
        yield path


def _addressed_to(line: str, username: str | None) -> bool:
    """Whether a command line is for this bot: unaddressed (``/help``) or ``/help@ThisBot``; in a group
    with several bots, ``/help@OtherBot`` is another bot's to answer."""
    head = line.split(maxsplit=1)[0] if line.strip() else ""
    _, at, name = head.partition("@")
    return not at or (username is not None and name.lower() == username.lower())


def _keyboard(buttons: list[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    keys = [InlineKeyboardButton(b.label, callback_data=encode_button(b)) for b in buttons]
    return InlineKeyboardMarkup([keys[i : i + KEYBOARD_ROW] for i in range(0, len(keys), KEYBOARD_ROW)])


def _bot_commands(specs: list[CommandSpec], t: Translator) -> list[BotCommand]:
    return [BotCommand(spec.name, t(spec.description)[:DESCRIPTION_LIMIT] or spec.name) for spec in specs]
