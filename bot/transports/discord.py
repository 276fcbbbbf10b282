"""Discord transport (discord.py 2): slash commands and button clicks become ``Invocation``s.

It only translates. Slash commands are built from the core's command specs; answers that take
long are deferred ("thinking…") and sent as follow-ups; buttons are persistent ``DynamicItem``s
carrying ``command:id``; errors are ephemeral; no message can mention anyone
(``AllowedMentions.none()``: generated text may contain ``@everyone``); markdown in texts is
escaped; texts are split at 2,000 characters. It needs no privileged intents: interactions
arrive without any.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.utils import MISSING, escape_markdown

from bot.core.core import INTERNAL_ERROR, CommandCore
from bot.core.i18n import translator
from bot.core.types import CommandSpec, Invocation, Notice, Reply
from bot.transports.buttons import is_brief
from bot.transports.discord_buttons import action_button_type, button_view
from bot.transports.discord_commands import SpecTranslator, build_command
from bot.transports.sent_notices import SentNotices
from bot.transports.text_split import DISCORD_LIMIT, message_parts
from bot.transports.uploads import UploadError, takes_file, uploaded

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

PLATFORM = "discord"
DEFER_AFTER_S = 2.0  # Discord drops an interaction not answered within 3 s


class DiscordStartError(RuntimeError):
    """The bot could not start; the message never contains the token."""


def intents() -> discord.Intents:
    """Only ``guilds``: slash commands and clicks arrive without intents, none is privileged."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


def shard_problem(settings: Settings) -> str | None:
    """Why the shard settings cannot work, or None: each process serves a range of one total count."""
    count, ids = settings.discord_shard_count, settings.discord_shard_ids
    if ids and not count:
        return "BARDLING_DISCORD_SHARD_IDS needs BARDLING_DISCORD_SHARD_COUNT"
    if count is not None and count < 1:
        return "BARDLING_DISCORD_SHARD_COUNT must be at least 1"
    if count and ids:
        outside = sorted({i for i in ids if not 0 <= i < count})
        if outside:
            return f"BARDLING_DISCORD_SHARD_IDS must be in 0–{count - 1}; got {', '.join(map(str, outside))}"
        if len(set(ids)) != len(ids):
            return "BARDLING_DISCORD_SHARD_IDS lists a shard twice"
    return None


class DiscordTransport:
    """``await start()`` logs in, syncs the slash commands and connects; ``await stop()`` closes."""

    platform = PLATFORM

    def __init__(self, core: CommandCore, settings: Settings, *, defer_after: float = DEFER_AFTER_S) -> None:
        if settings.discord_token is None:
            raise DiscordStartError("BARDLING_DISCORD_TOKEN is not set")
        if problem := shard_problem(settings):
            raise DiscordStartError(problem)
        self._core = core
        self._token = settings.discord_token
        self._defer_after = defer_after
        self._max_upload = settings.retrain_max_upload_bytes
        self._sync_guilds = [discord.Object(id=guild) for guild in settings.discord_sync_guilds]
        self._notices = SentNotices(path=settings.data_dir / "sent_notices_discord.json")
        # The bot never joins voice: discord.py's warnings about missing voice libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        options: dict[str, Any] = {"intents": intents(), "allowed_mentions": discord.AllowedMentions.none()}
        if settings.discord_shard_count:
            options.update(shard_count=settings.discord_shard_count, shard_ids=settings.discord_shard_ids)
            self._client: discord.Client = discord.AutoShardedClient(**options)
        else:
            self._client = discord.Client(**options)
        contexts = app_commands.AppCommandContext(guild=True, dm_channel=True)
        self._tree = app_commands.CommandTree(self._client, allowed_contexts=contexts)
        self._tree.error(self._on_tree_error)
        self._button_type = action_button_type(self._on_press)
        self._connection: asyncio.Task[None] | None = None

    @property
    def client(self) -> discord.Client:
        return self._client

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Log in, sync the slash commands, connect to the gateway; on failure, undo."""
        for spec in self._core.commands(admin=True):
            self._tree.add_command(build_command(spec, self._on_command, self._core.model_names))
        self._client.add_dynamic_items(self._button_type)
        try:
            await self._connect()
        except BaseException:
            await self.stop()
            raise
        log.info("Discord transport started as %s", self._client.user)

    async def _connect(self) -> None:
        try:
            await self._client.login(self._token.get_secret_value())
        except discord.LoginFailure:
            raise DiscordStartError("Discord rejected the bot token (BARDLING_DISCORD_TOKEN)") from None
        await self._tree.set_translator(SpecTranslator())
        await self._sync_commands()
        self._core.register_notifier(PLATFORM, self)
        connected = asyncio.ensure_future(self._client.wait_for("connect"))
        self._connection = asyncio.create_task(self._client.connect(reconnect=True))
        await asyncio.wait({connected, self._connection}, return_when=asyncio.FIRST_COMPLETED)
        if not connected.done():
            connected.cancel()
            await self._connection  # raises why the gateway connection failed
            raise DiscordStartError("the Discord gateway closed the connection")

    async def _sync_commands(self) -> None:
        """Globally (Discord may take up to an hour to show changes), or to the named guilds at once."""
        if not self._sync_guilds:
            await self._tree.sync()
            return
        for guild in self._sync_guilds:
            self._tree.copy_global_to(guild=guild)
            await self._tree.sync(guild=guild)

    async def stop(self) -> None:
        """Close the gateway and the HTTP connections. Idempotent."""
        await self._client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection
            self._connection = None

    # ------------------------------------------------------------------ interactions
    async def _on_command(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        options: dict[str, Any],
        upload: discord.Attachment | None,
    ) -> None:
        await self._run(interaction, spec.name, "", upload, options=options)

    async def _on_press(self, interaction: discord.Interaction, command: str, arg: str) -> None:
        await self._run(interaction, command, arg)

    async def _run(
        self,
        interaction: discord.Interaction,
        command: str,
        args: str,
        upload: discord.Attachment | None = None,
        *,
        options: dict[str, Any] | None = None,
    ) -> None:
        """Ask the core, deferring if it takes long. Errors, brief acknowledgements and, in a server
        channel, answers that list the user's own data (``CommandSpec.private``) go to the user only."""
        invocation = Invocation(
            platform=PLATFORM,
            user_id=str(interaction.user.id),
            user_name=interaction.user.display_name,
            chat_id=str(interaction.channel_id),
            command=command,
            args=args,
            options=options,  # typed by Discord: handed over as they are, never re-parsed from text
            chat_admin=_manages_server(interaction),
            server_id=str(interaction.guild_id or ""),  # a server's /chat rules hold in its channels
            locale=interaction.locale.value,  # the user's Discord language, e.g. "zh-CN"
        )
        found = self._core.registry.get(command)
        personal = found is not None and found.spec.private and interaction.guild_id is not None
        try:
            handling = asyncio.create_task(self._ask(invocation, upload))
            done, _ = await asyncio.wait({handling}, timeout=self._defer_after)
            deferred = not done
            if deferred:
                await interaction.response.defer(thinking=True, ephemeral=personal)
            reply = await handling
            clicked = interaction.type is discord.InteractionType.component
            private = personal or reply.error or (clicked and is_brief(reply))
            if deferred and private and not personal:  # a public "thinking…" must not show an error
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            await self._respond(interaction, reply, private=private, followup=deferred)
        except Exception:
            log.exception("/%s on Discord could not be answered", command)
            await _apologise(interaction)

    async def _ask(self, invocation: Invocation, upload: discord.Attachment | None) -> Reply:
        """The core's reply; an attached file is fetched first and handed over as a local file, but
        only for a command that takes one from this user (a refusal needs no download)."""
        if upload is None or not takes_file(self._core, invocation.user_key, invocation.command):
            return await self._core.handle(invocation)
        fetching = uploaded(
            upload.filename, upload.size, self._max_upload, upload.save, (discord.HTTPException,)
        )
        try:
            async with fetching as path:
                return await self._core.handle(replace(invocation, attachment=path))
        except UploadError as err:
            return Reply(text=str(err), error=True)

    async def _respond(
        self, interaction: discord.Interaction, reply: Reply, *, private: bool, followup: bool
    ) -> None:
        view = button_view(self._button_type, reply.buttons)
        parts = _parts(reply.text, reply.image is not None)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            kwargs: dict[str, Any] = {
                "content": part or None,
                "ephemeral": private,
                "view": view if last and view is not None else MISSING,
                "file": discord.File(reply.image) if i == 0 and reply.image is not None else MISSING,
            }
            if i == 0 and not followup:
                await interaction.response.send_message(**kwargs)
            else:
                await interaction.followup.send(**kwargs)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("error while handling a Discord interaction", exc_info=error)
        await _apologise(interaction)

    # ------------------------------------------------------------------ notices
    async def notify(self, notice: Notice) -> None:
        """Job progress and results: edit the message that showed the same key, else send."""
        channel = self._client.get_partial_messageable(int(notice.chat_id))
        parts = _parts(notice.text, notice.image is not None)
        previous = self._notices.get(notice.chat_id, notice.key)
        if previous is not None and notice.image is None and len(parts) == 1:
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(previous).edit(content=parts[0])
                return
        for i, part in enumerate(parts):
            file = discord.File(notice.image) if i == 0 and notice.image is not None else MISSING
            sent = await channel.send(content=part or None, file=file)
        self._notices.remember(notice.chat_id, notice.key, sent.id)


def _parts(text: str, has_image: bool) -> list[str]:
    """Message texts for a reply: markdown escaped (shown as typed), split at 2,000."""
    return message_parts(escape_markdown(text), DISCORD_LIMIT, with_image=has_image)


def _manages_server(interaction: discord.Interaction) -> bool:
    """Whether the caller may set the core's ``/chat`` rules here: Manage Server (or Administrator)
    in the server, from the permissions Discord sends with the interaction; in a DM, its one user."""
    if interaction.guild_id is None:
        return True
    granted = interaction.permissions
    return granted.manage_guild or granted.administrator


async def _apologise(interaction: discord.Interaction) -> None:
    """Tell the user, privately, that their command failed on our side (if Discord still lets us)."""
    text = translator(interaction.locale.value)(INTERNAL_ERROR)
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
