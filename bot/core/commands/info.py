"""/start, /help, /models: what the bot is and what it can do."""

from __future__ import annotations

from bot.core.args import Args
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.registry import Commands
from bot.core.types import CommandSpec, ParamSpec, Reply
from bot.engine.api import ModelInfo

WELCOME = N_(
    "Hello {name}! I am Bardling: I write verse in Shakespeare's manner and invent dinosaur names, "
    "with small language models trained for the purpose.\n\n"
    "Try /poem Shall I compare thee or /dinoname 3.\n/help lists everything."
)


COMMANDS = Commands()


@COMMANDS.command(CommandSpec("start", "Say hello"))
async def start(ctx: Context, args: Args) -> Reply:
    return Reply(_(WELCOME, name=ctx.inv.user_name or _("there")))


@COMMANDS.command(CommandSpec("help", "What I can do", [ParamSpec("command", "A command to explain")]))
async def help_(ctx: Context, args: Args) -> Reply:
    topic = args.text("command").strip().lstrip("/").lower()
    if topic:
        command = ctx.core.registry.get(topic)
        if command is None or (command.spec.admin_only and not ctx.is_admin):
            raise UserError(_("Unknown command /{name} — try /help", name=topic[:32]))
        lines = [command.usage(), _(command.spec.description)]
        lines += [f"  {p.name}: {_(p.description)}" for p in command.spec.params]
        return Reply("\n".join(lines))
    lines = [_("Commands:")]
    lines += [f"/{spec.name} — {_(spec.description)}" for spec in ctx.core.commands(admin=ctx.is_admin)]
    lines += [
        "",
        _("Details: /help <command>. Options go as name:value, e.g. /poem O gentle night temperature:1.1"),
    ]
    return Reply("\n".join(lines))


def _describe(info: ModelInfo) -> str:
    loss = info.metrics.get("val_loss")
    parts = [f"{info.name} v{info.version} ({info.kind})"]
    if info.description:
        parts.append(f"— {info.description}")
    if isinstance(loss, int | float):
        parts.append(_("· validation loss {loss:.3f}", loss=loss))
    if info.previous_versions:
        earlier = ", ".join(_earlier(info, v) for v in info.previous_versions)
        parts.append(_("· earlier: {versions}", versions=earlier))
    return " ".join(parts)


def _earlier(info: ModelInfo, version: str) -> str:
    loss = info.previous_metrics.get(version, {}).get("val_loss")
    return f"v{version} (val {loss:.3f})" if isinstance(loss, int | float) else f"v{version}"


@COMMANDS.command(CommandSpec("models", "The models I serve, with their versions and scores"))
async def models(ctx: Context, args: Args) -> Reply:
    infos = sorted(ctx.engine.models(), key=lambda m: (m.kind, m.name))
    if not infos:
        return Reply(_("No models are installed."))
    return Reply("\n".join([_("Models:"), *(_describe(m) for m in infos)]))


register = COMMANDS.register
