"""The command core: the one place where command logic lives, behind ``handle(Invocation) -> Reply``.

Transports translate platform events into ``Invocation`` and render ``Reply``; they never see
storage or the engine. ``handle`` never raises: every outcome, including bugs, is a reply.
"""

from __future__ import annotations

import logging

from bot.core.args import parse_args
from bot.core.commands import build_registry
from bot.core.context import Context, Services
from bot.core.errors import UserError
from bot.core.ratelimit import RateLimiter, wait_message
from bot.core.registry import Command, Registry
from bot.core.types import CommandSpec, Invocation, Notice, Notifier, Reply
from bot.engine.api import BusyError, EngineError
from bot.observability.metrics import Metrics
from bot.observability.requests import observe

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Something went wrong on my side — please try again."
BUSY = "The bard is busy with many verses — try again in a few seconds."
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

    def model_names(self) -> list[str]:
        return sorted(m.name for m in self.services.engine.models())

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
        name = inv.command.strip().lstrip("/").split("@", 1)[0].lower()
        command = self.registry.get(name)
        with observe(self.metrics, inv.platform, command.name if command else UNKNOWN) as seen:
            reply = await self._answer(inv, name, command)
            seen.outcome = _outcome(reply)
            if command is not None and command.generates and not reply.error:
                seen.generated_chars = len(reply.text)
        return reply

    async def _answer(self, inv: Invocation, name: str, command: Command | None) -> Reply:
        if command is None:
            return Reply(f"Unknown command /{name[:32]} — try /help", error=True)
        admin = self.is_admin(inv.user_key)
        if command.spec.admin_only and not admin:
            return Reply(f"/{command.name} is for admins only.", error=True)
        try:
            args = parse_args(command, inv.args)
            if command.generates:
                wait = self.limiter.take(inv.user_key)
                if wait > 0:
                    return Reply(wait_message(wait), error=True)
            return await command.handler(Context(self, inv, is_admin=admin), args)
        except UserError as err:
            return Reply(str(err), error=True)
        except BusyError:
            return Reply(BUSY, error=True)
        except EngineError as err:
            return Reply(str(err) or INTERNAL_ERROR, error=True)
        except Exception:
            log.exception("/%s from %s failed", command.name, inv.user_key)
            return Reply(INTERNAL_ERROR, error=True)


def _outcome(reply: Reply) -> str:
    if not reply.error:
        return "ok"
    if reply.text == INTERNAL_ERROR:
        return "failed"
    return "busy" if reply.text == BUSY else "refused"
