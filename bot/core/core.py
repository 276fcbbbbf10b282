"""The command core: the one place where command logic lives, behind ``handle(Invocation) -> Reply``.

Transports translate platform events into ``Invocation`` and render ``Reply``; they never see
storage or the engine. ``handle`` never raises: every outcome, including bugs, is a reply.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.core.args import parse_args, typed_args
from bot.core.chat_policy import Cooldowns, cooldown_message, effective_rules, refusal
from bot.core.commands import build_registry
from bot.core.context import Context, Services
from bot.core.errors import UserError
from bot.core.i18n import N_, _, speaking
from bot.core.ratelimit import RateLimiter, wait_message
from bot.core.registry import Command, Registry
from bot.core.text import strip_controls
from bot.core.types import CommandSpec, Invocation, Notice, Notifier, Outcome, Reply
from bot.engine.api import BusyError, EngineError
from bot.observability.metrics import Metrics
from bot.observability.requests import observe

log = logging.getLogger(__name__)

INTERNAL_ERROR = N_("Something went wrong on my side — please try again.")
BUSY = N_("The bard is busy with many verses — try again in a few seconds.")
UNKNOWN = "unknown"  # the metrics label of commands that do not exist (never the user's text)


class CommandCore:
    def __init__(
        self, services: Services, *, registry: Registry | None = None, metrics: Metrics | None = None
    ) -> None:
        self.services = services
        self.registry = registry or build_registry()
        self.metrics = metrics or Metrics()
        settings = services.settings
        self.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.cooldowns = Cooldowns()
        self._notifiers: dict[str, Notifier] = {}
        self._session_admins: set[str] = set()

    # ----------------------------------------------------------------- who may do what
    def is_admin(self, user_key: str) -> bool:
        return self.services.settings.is_admin(user_key) or user_key in self._session_admins

    def set_admin(self, user_key: str, admin: bool) -> None:
        """Grant or drop admin for this process only (the console's ``--admin`` and ``/admin on|off``)."""
        if admin:
            self._session_admins.add(user_key)
        else:
            self._session_admins.discard(user_key)

    # ----------------------------------------------------------------- what transports ask
    def commands(self, *, admin: bool = False) -> list[CommandSpec]:
        """The commands to advertise (Telegram menu, Discord slash commands, /help)."""
        return [c.spec for c in self.registry if admin or not c.spec.admin_only]

    def model_names(self, kinds: tuple[str, ...] = ()) -> list[str]:
        """The served models' names; with ``kinds``, only models of those kinds."""
        return sorted(m.name for m in self.services.engine.models() if not kinds or m.kind in kinds)

    def register_notifier(self, platform: str, notifier: Notifier) -> None:
        self._notifiers[platform] = notifier

    async def notify(self, platform: str, notice: Notice) -> bool:
        """Send a message the core originates (job progress); ``False`` if it could not be delivered."""
        notifier = self._notifiers.get(platform)
        if notifier is None:
            log.warning("no %s transport running; notice for chat %s dropped", platform, notice.chat_id)
            return False
        try:
            await notifier.notify(notice)
        except Exception:
            log.exception("delivering a notice on %s failed", platform)
            return False
        return True

    # ----------------------------------------------------------------- the one entry point
    async def handle(self, inv: Invocation) -> Reply:
        inv = _cleaned(inv)
        name = inv.command.strip().lstrip("/").split("@", 1)[0].lower()
        command = self.registry.get(name)
        label = command.name if command else UNKNOWN
        with speaking(inv.locale), observe(self.metrics, inv.platform, label) as seen:
            reply = await self._answer(inv, name, command)
            seen.outcome = reply.outcome.value
            if command is not None and command.generates and not reply.error:
                seen.generated_chars = len(reply.text)
        return reply

    async def _answer(self, inv: Invocation, name: str, command: Command | None) -> Reply:
        if command is None:
            return Reply(_("Unknown command /{name} — try /help", name=name[:32]), error=True)
        admin = self.is_admin(inv.user_key)
        if command.spec.admin_only and not admin:
            return Reply(_("/{command} is for admins only.", command=command.name), error=True)
        ctx = Context(self, inv, is_admin=admin)
        spent = False
        try:
            rules = await effective_rules(ctx)
            if refused := refusal(rules, command.name, chat_admin=ctx.is_chat_admin):
                return Reply(refused, error=True)
            args = parse_args(command, inv.args) if inv.options is None else typed_args(command, inv.options)
            cooldown_s = rules.cooldown_s or 0
            if command.generates and (refused := self._spend(inv.user_key, ctx.chat_key, cooldown_s)):
                return Reply(refused, error=True)
            spent = command.generates
            reply = await command.handler(ctx, args)
        except UserError as err:
            reply = Reply(str(err), error=True)
        except BusyError:
            reply = Reply(_(BUSY), error=True, failure=Outcome.BUSY)
        except EngineError as err:
            reply = Reply(str(err) or _(INTERNAL_ERROR), error=True)
        except Exception:
            log.exception("/%s from %s failed", command.name, inv.user_key)
            reply = Reply(_(INTERNAL_ERROR), error=True, failure=Outcome.FAILED)
        if spent and reply.error:
            self.limiter.give_back(inv.user_key)  # a refusal (or our failure) costs the user nothing
            self.cooldowns.give_back(ctx.chat_key)  # nor the chat
        return reply

    def _spend(self, user_key: str, chat_key: str, cooldown_s: int) -> str | None:
        """Take the caller's rate-limit token and the chat's cooldown for a generation, or say why
        not; a refusal takes neither."""
        if cooldown_s and (wait := self.cooldowns.wait(chat_key, cooldown_s)) > 0:
            return cooldown_message(cooldown_s, wait)
        wait = self.limiter.take(user_key)
        if wait > 0:
            return wait_message(wait)
        if cooldown_s:
            self.cooldowns.mark(chat_key)
        return None


def _cleaned(inv: Invocation) -> Invocation:
    """``inv`` without control, bidi, zero-width or lone-surrogate characters in anything the user
    typed: cleaned once, here, so no command stores or echoes one, whatever the transport."""
    options = inv.options
    if options is not None:
        options = {k: strip_controls(v) if isinstance(v, str) else v for k, v in options.items()}
    return replace(
        inv,
        command=strip_controls(inv.command),
        args=strip_controls(inv.args),
        options=options,
        user_name=strip_controls(inv.user_name),
    )
