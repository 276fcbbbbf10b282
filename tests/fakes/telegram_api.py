"""A fake Telegram Bot API server on 127.0.0.1 for running the real python-telegram-bot against.

It answers the methods the bot uses the way Telegram does (form or multipart parameters, JSON
``{"ok": ..., "result": ...}`` answers, Telegram's own errors for empty or too-long texts and
oversized ``callback_data``), serves updates the test pushes through long-polling ``getUpdates``,
and records every call so tests assert on what the bot sent.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USERNAME = "bardling_test_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_INLINE_RESULTS = 50
ADMIN_RIGHTS = (  # the rights a ``ChatMemberAdministrator`` must list
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


@dataclass
class Call:
    """One Bot API request: method name, raw parameters (strings), uploaded files."""

    method: str
    params: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None  # what the fake answered, e.g. the sent message
    at: float = field(default_factory=time.perf_counter)  # when it arrived (latency benchmarks)

    def json(self, name: str) -> Any:
        """A parameter the library sent JSON-encoded (``reply_markup``, ``commands``, ``scope``)."""
        return json.loads(self.params[name])

    @property
    def chat_id(self) -> int | None:
        return int(self.params["chat_id"]) if "chat_id" in self.params else None

    @property
    def text(self) -> str:
        return self.params.get("text", self.params.get("caption", ""))

    def buttons(self) -> list[tuple[str, str]]:
        """``(label, callback_data)`` of the inline keyboard, row by row."""
        if "reply_markup" not in self.params:
            return []
        rows = self.json("reply_markup").get("inline_keyboard", [])
        return [(b["text"], b["callback_data"]) for row in rows for b in row]


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram(FakeServer[Call]):
    """``async with FakeTelegram() as tg:`` then point the bot at ``tg.base_url``."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.files: dict[str, bytes] = {}  # file_path -> content, served for downloads
        self.downloads: list[str] = []  # file paths the bot fetched
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._inline_ids = itertools.count(1)
        self.inline_messages: dict[str, dict[str, Any]] = {}  # inline_message_id -> what was posted
        self._failures: dict[str, list[ApiError]] = {}
        self.chat_admins: dict[int, list[int]] = {}  # group chat id -> its administrators (first: owner)
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Bardling",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        await self._serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._close()

    @property
    def base_url(self) -> str:
        """What ``BARDLING_TELEGRAM_BASE_URL`` is set to: the library appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ what users do
    def user(self, user_id: int, name: str | None = None, language: str | None = None) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}"}
        return user if language is None else {**user, "language_code": language}

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        name: str | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        """A user writes ``text`` (commands get their ``bot_command`` entity), from an app set to
        ``language`` (Telegram's ``language_code``, e.g. ``zh-hans``) if given; returns the message."""
        message = self._user_message(user_id, chat_id, name, language)
        message["text"] = text
        if entities := self._command_entities(text):
            message["entities"] = entities
        self._push({"message": message})
        return message

    def send_document(
        self, user_id: int, file_name: str, content: bytes, caption: str = "", *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A user uploads a file, optionally with a command as caption."""
        message = self._user_message(user_id, chat_id, None)
        file_id = f"file{len(self.files) + 1}"
        self.files[f"documents/{file_id}_{file_name}"] = content
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": "text/plain",
            "file_size": len(content),
        }
        if caption:
            message["caption"] = caption
            if entities := self._command_entities(caption):
                message["caption_entities"] = entities
        self._push({"message": message})
        return message

    def press(self, user_id: int, message: dict[str, Any], data: str) -> str:
        """A user presses an inline button of a message the bot sent; returns the query id."""
        query_id = f"cq{next(self._callback_ids)}"
        chat_id = message["chat"]["id"]
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id),
                    "chat_instance": str(chat_id),
                    "message": message,
                    "data": data,
                }
            }
        )
        return query_id

    def inline_query(self, user_id: int, query: str) -> str:
        """A user types ``@bot <query>`` in some chat; returns the inline query id."""
        query_id = f"iq{next(self._inline_ids)}"
        sender = self.user(user_id)
        update = {"id": query_id, "from": sender, "query": query, "offset": "", "chat_type": "group"}
        self._push({"inline_query": update})
        return query_id

    def answer_to(self, query_id: str) -> Call | None:
        """The bot's ``answerInlineQuery`` for that query, if it answered."""
        calls = [c for c in self.sent(method="answerInlineQuery") if c.params["inline_query_id"] == query_id]
        return calls[-1] if calls else None

    def choose(self, answer: Call, index: int = 0) -> str:
        """The user picks a result: Telegram posts it (as the user, via the bot); returns its
        ``inline_message_id``. Only the bot's ``editMessageText`` can change it afterwards."""
        result = answer.json("results")[index]
        inline_id = f"im{next(self._inline_ids)}"
        text = result["input_message_content"]["message_text"]
        self.inline_messages[inline_id] = {"text": text, "reply_markup": result.get("reply_markup")}
        return inline_id

    def press_inline(self, user_id: int, inline_message_id: str, data: str) -> str:
        """A user presses a button of a message posted inline: the query has no message, only its id."""
        query_id = f"cq{next(self._callback_ids)}"
        query = {"id": query_id, "from": self.user(user_id), "chat_instance": "-77", "data": data}
        self._push({"callback_query": {**query, "inline_message_id": inline_message_id}})
        return query_id

    def fail_next(self, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        """The next call of ``method`` gets this error instead of succeeding."""
        self._failures.setdefault(method, []).append(ApiError(code, description, retry_after))

    # ------------------------------------------------------------------ what tests check
    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], within: float = 20.0) -> list[Call]:
        """Wait until ``predicate(calls)`` holds; returns the calls."""
        await self._wait(lambda: predicate(self.calls), within)
        return self.calls

    async def wait_sent(
        self, chat_id: int, count: int = 1, method: str = "sendMessage", within: float = 20.0
    ) -> list[Call]:
        """Wait for ``count`` calls of ``method`` to ``chat_id``; returns all of them so far."""
        await self.wait_for(lambda _: len(self.sent(chat_id, method)) >= count, within)
        return self.sent(chat_id, method)

    # ------------------------------------------------------------------ internals
    def _user_message(
        self, user_id: int, chat_id: int | None, name: str | None, language: str | None = None
    ) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else user_id
        sender = self.user(user_id, name, language)
        chat_obj: dict[str, Any] = (
            {"id": chat, "type": "private", "first_name": sender["first_name"]}
            if chat > 0
            else {"id": chat, "type": "group", "title": "Test group"}
        )
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat_obj,
            "from": sender,
        }

    @staticmethod
    def _command_entities(text: str) -> list[dict[str, Any]]:
        if not text.startswith("/"):
            return []
        length = len(text.split(maxsplit=1)[0])
        return [{"type": "bot_command", "offset": 0, "length": length}]

    def _push(self, update: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **update})
        self._soon(self._notify())

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        content = self.files.get(request.match_info["path"])
        if content is None:
            raise web.HTTPNotFound()
        self.downloads.append(request.match_info["path"])
        return web.Response(body=content)

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params: dict[str, str] = {}
        files: dict[str, bytes] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                params[key] = str(value)
        params.update({k: v for k, v in request.query.items() if k not in params})
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        call = Call(method, params, files)
        try:
            if queued := self._failures.get(method):
                raise queued.pop(0)
            call.result = self._answer(call)
        except ApiError as err:
            call.result = err
            await self._record(call)
            return _error(err)
        await self._record(call)
        return _ok(call.result)

    async def _get_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout", 0))
        limit = int(params.get("limit", 100))
        if not self._updates and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self._wait(lambda: bool(self._updates), timeout)
        return self._updates[:limit]

    def _answer(self, call: Call) -> Any:
        p = call.params
        if call.method == "getMe":
            return self.bot_user
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            return self._send(call)
        if call.method == "editMessageText" and "inline_message_id" in p:
            return self._edit_inline(p)
        if call.method == "answerInlineQuery":
            return self._answer_inline(call)
        if call.method == "editMessageText":
            key = (int(p["chat_id"]), int(p["message_id"]))
            message = self._messages.get(key)
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            _check_text(p.get("text", ""), MAX_TEXT)
            if message.get("text") == p["text"]:
                raise ApiError(400, "Bad Request: message is not modified")
            message["text"] = p["text"]
            message["edit_date"] = int(time.time())
            return message
        if call.method == "getChatAdministrators":
            return self._administrators(int(p["chat_id"]))
        if call.method == "getFile":
            for path in self.files:
                if path.split("/", 1)[1].startswith(p["file_id"] + "_"):
                    size = len(self.files[path])
                    return {
                        "file_id": p["file_id"],
                        "file_unique_id": "u" + p["file_id"],
                        "file_size": size,
                        "file_path": path,
                    }
            raise ApiError(400, "Bad Request: invalid file_id")
        if call.method in (
            "sendChatAction",
            "answerCallbackQuery",
            "setMyCommands",
            "deleteMyCommands",
            "deleteWebhook",
            "setWebhook",
            "close",
            "logOut",
        ):
            if call.method == "answerCallbackQuery" and len(p.get("text", "")) > 200:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            return True
        raise ApiError(404, "Not Found")

    def _answer_inline(self, call: Call) -> bool:
        """Telegram's checks of an inline answer: at most 50 results, unique ids of 1–64 bytes, a
        non-empty text within the limit, callback data within 64 bytes."""
        results = call.json("results")
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r["id"] for r in results]
        if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            _check_text(result["input_message_content"]["message_text"], MAX_TEXT)
            _check_markup(result.get("reply_markup"))
        return True

    def _edit_inline(self, p: dict[str, str]) -> bool:
        message = self.inline_messages.get(p["inline_message_id"])
        if message is None:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        _check_text(p.get("text", ""), MAX_TEXT)
        if message["text"] == p["text"]:
            raise ApiError(400, "Bad Request: message is not modified")
        markup = json.loads(p["reply_markup"]) if "reply_markup" in p else None
        _check_markup(markup)
        message.update(text=p["text"], reply_markup=markup)
        return True

    def _administrators(self, chat_id: int) -> list[dict[str, Any]]:
        """``ChatMemberOwner`` for the first listed admin, ``ChatMemberAdministrator`` for the rest."""
        if chat_id > 0:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        members: list[dict[str, Any]] = []
        for i, user_id in enumerate(self.chat_admins.get(chat_id, [])):
            member: dict[str, Any] = {"user": self.user(user_id), "is_anonymous": False}
            if i == 0:
                members.append({**member, "status": "creator"})
                continue
            rights = dict.fromkeys(ADMIN_RIGHTS, True)
            members.append({**member, "status": "administrator", "can_be_edited": False, **rights})
        return members

    def _send(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat_id = int(p["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user,
        }
        if call.method == "sendMessage":
            _check_text(p.get("text", ""), MAX_TEXT)
            message["text"] = p["text"]
        else:
            if "caption" in p:
                _check_text(p["caption"], MAX_CAPTION)
                message["caption"] = p["caption"]
            kind = "photo" if call.method == "sendPhoto" else "document"
            if kind not in call.files:
                raise ApiError(400, f"Bad Request: there is no {kind} in the request")
            file = {"file_id": f"sent{message['message_id']}", "file_unique_id": f"s{message['message_id']}"}
            message[kind] = [{**file, "width": 1, "height": 1}] if kind == "photo" else file
        if "reply_markup" in p:
            markup = call.json("reply_markup")
            _check_markup(markup)
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return message


def _check_text(text: str, limit: int) -> None:
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if _utf16_len(text) > limit:
        raise ApiError(400, "Bad Request: message is too long")


def _check_markup(markup: dict[str, Any] | None) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode()) > MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(err: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
    if err.retry_after is not None:
        body["parameters"] = {"retry_after": err.retry_after}
    return web.json_response(body, status=err.code)
