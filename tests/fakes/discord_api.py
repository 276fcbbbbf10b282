"""A fake Discord (REST API + gateway websocket) on 127.0.0.1 for running the real discord.py against.

Point discord.py at it by setting ``discord.http.Route.BASE`` to :attr:`FakeDiscord.api_base` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` to :attr:`FakeDiscord.gateway_url`. It answers
the login calls (``GET /users/@me``, ``GET /oauth2/applications/@me``), command sync
(``PUT /applications/{id}/commands``), interaction callbacks, follow-ups and channel messages,
speaks the gateway handshake (HELLO, IDENTIFY → READY, heartbeats), and lets the test inject
``INTERACTION_CREATE`` events built from the commands the bot actually synced. Every request is
recorded. JSON answers carry ``Content-Type: application/json`` exactly, as discord.py requires.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import yarl
from aiohttp import WSMsgType, web

from tests.fakes.server import FakeServer

TOKEN = "fake-discord-token.abc.def"
APP_ID = 1_100_000_000_000_000_001
BOT_ID = APP_ID
EPHEMERAL = 1 << 6
OPTION_TYPES = {3: str, 4: int, 10: float}
ATTACHMENT_OPTION = 11
MAX_CONTENT = 2000
VIEW_CHANNEL, MANAGE_GUILD = 1 << 10, 1 << 5  # permission bits

# interaction callback types
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT = 4, 5, 6, 7, 8


@dataclass
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    body: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None  # what the fake answered, e.g. the message it stored

    @property
    def message_id(self) -> int:
        """The message a message post created (its answer) or an edit changed (its path)."""
        if isinstance(self.result, dict) and "id" in self.result:
            return int(self.result["id"])
        return int(self.path.rstrip("/").rsplit("/", 1)[1])


@dataclass
class Shown:
    """A message an interaction produced (response, follow-up or edit of the original)."""

    content: str
    flags: int
    components: list[dict[str, Any]]
    files: dict[str, bytes]
    message_id: int
    allowed_mentions: dict[str, Any] | None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"] for row in self.components for c in row.get("components", []) if "custom_id" in c
        ]


@dataclass
class Interaction:
    id: int
    token: str
    user_id: int
    channel_id: int
    guild_id: int | None
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # raw callback bodies
    shown: list[Shown] = field(default_factory=list)
    deleted_original: bool = False

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices the bot answered with."""
        for body in self.callbacks:
            if body["type"] == AUTOCOMPLETE_RESULT:
                return list(body["data"]["choices"])
        return []


class DiscordApiError(Exception):
    def __init__(self, status: int, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _timestamp() -> str:
    return datetime.now(UTC).isoformat()


class FakeDiscord(FakeServer[Call]):
    """``async with FakeDiscord() as dc:`` then patch discord.py to ``dc.api_base`` / ``dc.gateway_url``."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.commands: list[dict[str, Any]] = []  # the global commands as last synced
        self.server_managers: set[int] = set()  # users with Manage Server in every guild
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}  # guild id -> its commands as synced
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[str, Interaction] = {}
        self.identifies: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # attachment id -> content, served to the bot
        self.downloads: list[str] = []  # attachment ids the bot fetched
        self._ids = itertools.count((int(datetime.now(UTC).timestamp() * 1000) - 1_420_070_400_000) << 22)
        self._sockets: list[tuple[web.WebSocketResponse, dict[str, int]]] = []
        self._failures: list[tuple[str, str, DiscordApiError]] = []
        self.bot_user = self.user(BOT_ID, "Bardling", bot=True)

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._errors])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{name}", self._download)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        await self._serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_gateways()
        await self._close()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> yarl.URL:
        return yarl.URL(f"ws://127.0.0.1:{self.port}/gateway")

    async def close_gateways(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()

    # ------------------------------------------------------------------ what users do
    def snowflake(self) -> int:
        return next(self._ids)

    @staticmethod
    def user(user_id: int, name: str | None = None, *, bot: bool = False) -> dict[str, Any]:
        name = name or f"user{user_id}"
        return {
            "id": str(user_id),
            "username": name.lower(),
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
        }

    def slash(
        self,
        user_id: int,
        name: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_locale: str = "en-US",
        **options: Any,
    ) -> Interaction:
        """A user runs ``/name`` with ``options``, typed as the synced command declares them, from a
        Discord client set to ``user_locale`` (the interaction's ``locale``).

        An attachment option takes ``(file_name, content)``; the bot downloads it from this server.
        """
        command = self.command(name)
        data = {"id": command["id"], "name": name, "type": 1, "options": self._options(command, options)}
        uploads = {o["value"]: options[o["name"]] for o in data["options"] if o["type"] == ATTACHMENT_OPTION}
        if uploads:
            data["resolved"] = {"attachments": {aid: self._attachment(aid, *f) for aid, f in uploads.items()}}
        return self._interact(2, data, user_id, guild_id, channel_id, locale=user_locale)

    def autocomplete(
        self, user_id: int, name: str, focused: str, *, guild_id: int | None = None, **options: Any
    ) -> Interaction:
        """A user types into option ``focused`` of ``/name``; the other ``options`` are already set."""
        command = self.command(name)
        opts = self._options(command, options)
        for opt in opts:
            if opt["name"] == focused:
                opt["focused"] = True
                opt["value"] = str(opt["value"])
        data = {"id": command["id"], "name": name, "type": 1, "options": opts}
        return self._interact(4, data, user_id, guild_id, None)

    def click(
        self, user_id: int, message_id: int, custom_id: str, *, guild_id: int | None = None
    ) -> Interaction:
        """A user clicks the button ``custom_id`` on a message the bot sent."""
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interact(3, data, user_id, guild_id, int(message["channel_id"]), message=message)

    def fail_next(self, method: str, path_prefix: str, status: int, message: str) -> None:
        """The next ``method`` request under ``path_prefix`` gets this error instead of succeeding."""
        self._failures.append((method, path_prefix, DiscordApiError(status, message)))

    def command(self, name: str) -> dict[str, Any]:
        for command in self.commands:
            if command["name"] == name:
                return command
        raise KeyError(f"/{name} was not synced; synced: {[c['name'] for c in self.commands]}")

    # ------------------------------------------------------------------ what tests check
    async def wait_for(self, predicate: Callable[[], bool], within: float = 20.0) -> None:
        await self._wait(predicate, within)

    async def shown(self, interaction: Interaction, count: int = 1, within: float = 20.0) -> list[Shown]:
        """Wait until ``interaction`` has shown ``count`` messages; returns them."""
        await self.wait_for(lambda: len(interaction.shown) >= count, within)
        return interaction.shown

    async def answered(self, interaction: Interaction, within: float = 20.0) -> list[dict[str, Any]]:
        """Wait for the interaction's callback (any type); returns the callback bodies."""
        await self.wait_for(lambda: bool(interaction.callbacks), within)
        return interaction.callbacks

    def requests(self, method: str, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    # ------------------------------------------------------------------ gateway
    async def dispatch(self, event: str, data: dict[str, Any], shard_id: int = 0) -> None:
        for ws, state in list(self._sockets):
            if state["shard"] == shard_id and not ws.closed:
                state["seq"] += 1
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": state["seq"], "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        state = {"seq": 0, "shard": -1}
        self._sockets.append((ws, state))
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._identify(ws, state, payload["d"])
                elif op == 6:  # RESUME: this fake cannot resume, so it says start afresh
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            self._sockets.remove((ws, state))
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, state: dict[str, int], identify: dict[str, Any]
    ) -> None:
        if identify.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = identify.get("shard") or [0, 1]
        state["shard"] = shard[0]
        self.identifies.append(identify)
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [],
            "session_id": f"gw{len(self.identifies)}",
            "resume_gateway_url": str(self.gateway_url),
            "shard": shard,
            "application": {"id": str(APP_ID), "flags": 0},
        }
        state["seq"] += 1
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": state["seq"], "d": ready}))
        await self._notify()

    # ------------------------------------------------------------------ REST
    @web.middleware
    async def _errors(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except DiscordApiError as err:
            return _json({"message": err.message, "code": err.code}, err.status)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body, files = await self._body(request)
        call = Call(request.method, path, body, files)
        public = path.startswith(("/interactions/", "/webhooks/"))
        if not public and request.headers.get("Authorization") != f"Bot {self.token}":
            raise DiscordApiError(401, "401: Unauthorized")
        try:
            for failure in self._failures:
                if failure[0] == request.method and path.startswith(failure[1]):
                    self._failures.remove(failure)
                    raise failure[2]
            result = call.result = self._route(call)
        finally:
            await self._record(call)
        if result is None:
            return web.Response(status=204)
        return _json(result)

    @staticmethod
    async def _body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            files = {k: v.file.read() for k, v in form.items() if isinstance(v, web.FileField)}
            payload = form.get("payload_json")
            return (json.loads(str(payload)) if payload is not None else None), files
        raw = await request.read()
        return (json.loads(raw) if raw else None), {}

    def _route(self, call: Call) -> Any:
        parts = call.path.strip("/").split("/")
        match (call.method, parts):
            case ("GET", ["users", "@me"]):
                return self.bot_user
            case ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]):
                return self._application()
            case ("GET", ["gateway"]):
                return {"url": str(self.gateway_url)}
            case ("GET", ["gateway", "bot"]):
                limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                return {"url": str(self.gateway_url), "shards": 1, "session_start_limit": limit}
            case ("PUT", ["applications", _, "commands"]):
                self.commands = [self._registered(c) for c in call.body]
                return self.commands
            case ("GET", ["applications", _, "commands"]):
                return self.commands
            case ("PUT", ["applications", _, "guilds", guild_id, "commands"]):
                synced = [{**self._registered(c), "guild_id": guild_id} for c in call.body]
                self.guild_commands[int(guild_id)] = synced
                return synced
            case ("POST", ["interactions", _, token, "callback"]):
                return self._callback(token, call)
            case ("POST", ["webhooks", _, token]):
                inter = self._interaction(token)
                return self._show(inter, call.body, call.files)
            case ("PATCH", ["webhooks", _, token, "messages", "@original"]):
                inter = self._interaction(token)
                return self._show(inter, call.body, call.files)
            case ("DELETE", ["webhooks", _, token, "messages", "@original"]):
                self._interaction(token).deleted_original = True
                return None
            case ("POST", ["channels", channel_id, "messages"]):
                return self._message(int(channel_id), call.body or {}, call.files)
            case ("PATCH", ["channels", channel_id, "messages", message_id]):
                message = self.messages.get(int(message_id))
                if message is None or int(message["channel_id"]) != int(channel_id):
                    raise DiscordApiError(404, "Unknown Message", 10008)
                message.update({k: v for k, v in (call.body or {}).items() if k in ("content", "components")})
                message["edited_timestamp"] = _timestamp()
                return message
            case ("POST", ["users", "@me", "channels"]):
                recipient = self.user(int(call.body["recipient_id"]))
                return {"id": str(self.snowflake()), "type": 1, "recipients": [recipient]}
        raise DiscordApiError(404, "404: Not Found")

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APP_ID),
            "name": "Bardling",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.user(1, "owner"),
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
            "rpc_origins": [],
            "interactions_endpoint_url": None,
        }

    def _registered(self, command: dict[str, Any]) -> dict[str, Any]:
        existing = {c["name"]: c["id"] for c in self.commands}
        return {
            "id": existing.get(command["name"], str(self.snowflake())),
            "application_id": str(APP_ID),
            "version": str(self.snowflake()),
            "type": 1,
            "options": [],
            "default_member_permissions": None,
            **command,
        }

    def _interaction(self, token: str) -> Interaction:
        inter = self.interactions.get(token)
        if inter is None:
            raise DiscordApiError(404, "Unknown Webhook", 10015)
        return inter

    def _callback(self, token: str, call: Call) -> dict[str, Any]:
        inter = self._interaction(token)
        if inter.callbacks:
            raise DiscordApiError(400, "Interaction has already been acknowledged.", 40060)
        body = call.body
        inter.callbacks.append(body)
        kind = body["type"]
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": 2,
                "response_message_loading": kind == DEFERRED_MESSAGE,
            },
        }
        data = body.get("data") or {}
        if kind in (MESSAGE, DEFERRED_MESSAGE):
            message = (
                self._show(inter, data, call.files)
                if kind == MESSAGE
                else self._message(
                    inter.channel_id, {**data, "content": ""}, {}, interaction=inter, placeholder=True
                )
            )
            answer["interaction"]["response_message_id"] = message["id"]
            answer["interaction"]["response_message_ephemeral"] = bool(data.get("flags", 0) & EPHEMERAL)
            answer["resource"] = {"type": kind, "message": message}
        elif kind == UPDATE_MESSAGE:
            answer["resource"] = {"type": kind}
        return answer

    def _show(self, inter: Interaction, data: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        """Record a message shown for ``inter`` (a response, a follow-up or an edit of the original)."""
        message = self._message(inter.channel_id, data, files, interaction=inter)
        inter.shown.append(
            Shown(
                content=message["content"],
                flags=int(data.get("flags") or 0),
                components=data.get("components") or [],
                files=files,
                message_id=int(message["id"]),
                allowed_mentions=data.get("allowed_mentions"),
            )
        )
        return message

    def _message(
        self,
        channel_id: int,
        data: dict[str, Any],
        files: dict[str, bytes],
        interaction: Interaction | None = None,
        *,
        placeholder: bool = False,
    ) -> dict[str, Any]:
        """Store a message; ``placeholder`` is the empty "thinking…" message of a deferred answer."""
        content = data.get("content") or ""
        if not placeholder and not content and not files:
            raise DiscordApiError(400, "Cannot send an empty message", 50006)
        if len(content) > MAX_CONTENT:
            raise DiscordApiError(400, "Invalid Form Body: content must be 2000 or fewer in length.", 50035)
        message_id = self.snowflake()
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": content,
            "timestamp": _timestamp(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {"id": str(self.snowflake()), "filename": name, "size": len(blob), "url": "", "proxy_url": ""}
                for name, blob in files.items()
            ],
            "embeds": [],
            "pinned": False,
            "type": 0 if interaction is None else 20,
            "flags": int(data.get("flags") or 0),
            "components": data.get("components") or [],
            "allowed_mentions": data.get("allowed_mentions"),
        }
        if interaction is not None:
            message["application_id"] = str(APP_ID)
            message["webhook_id"] = str(APP_ID)
        self.messages[message_id] = message
        return message

    # ------------------------------------------------------------------ interactions
    def _attachment(self, attachment_id: str, file_name: str, content: bytes) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{quote(file_name, safe='')}"
        self.uploads[attachment_id] = content
        return {
            "id": attachment_id,
            "filename": file_name,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": "text/plain; charset=utf-8",
        }

    async def _download(self, request: web.Request) -> web.Response:
        content = self.uploads.get(request.match_info["id"])
        if content is None:
            raise web.HTTPNotFound()
        self.downloads.append(request.match_info["id"])
        return web.Response(body=content)

    def _options(self, command: dict[str, Any], options: dict[str, Any]) -> list[dict[str, Any]]:
        declared = {o["name"]: o for o in command.get("options", [])}
        result = []
        for name, value in options.items():
            if name not in declared:
                raise KeyError(f"/{command['name']} has no option {name!r}; it has {sorted(declared)}")
            kind = declared[name]["type"]
            if kind == ATTACHMENT_OPTION:
                result.append({"name": name, "type": kind, "value": str(self.snowflake())})
                continue
            python_type = OPTION_TYPES.get(kind)
            if python_type is None:
                raise TypeError(f"option type {kind} is not supported by this fake")
            result.append({"name": name, "type": kind, "value": python_type(value)})
        return result

    def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        *,
        message: dict[str, Any] | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        channel_id = channel_id or (guild_id + 1 if guild_id else user_id + 7)
        inter = Interaction(
            id=self.snowflake(),
            token=f"itoken{self.snowflake()}",
            user_id=user_id,
            channel_id=channel_id,
            guild_id=guild_id,
        )
        self.interactions[inter.token] = inter
        user = self.user(user_id)
        payload: dict[str, Any] = {
            "id": str(inter.id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": inter.token,
            "version": 1,
            "data": data,
            "channel_id": str(channel_id),
            "locale": locale,
            "app_permissions": "2147483647",
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
            payload["channel"] = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": _timestamp(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(VIEW_CHANNEL | (MANAGE_GUILD if user_id in self.server_managers else 0)),
            }
        else:
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
            payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [user]}
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        self._soon(self.dispatch("INTERACTION_CREATE", payload, shard_id=self.shard_of(guild_id)))
        return inter

    def shard_of(self, guild_id: int | None) -> int:
        """Discord's rule: a guild's events go to shard ``(guild_id >> 22) % shards``; DMs to shard 0."""
        if guild_id is None or not self.identifies:
            return 0
        shards = (self.identifies[-1].get("shard") or [0, 1])[1]
        return int((guild_id >> 22) % shards)
