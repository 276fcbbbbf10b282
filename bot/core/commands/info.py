"""/start, /help, /models: what the bot is and what it can do."""

from __future__ import annotations

from bot.core.args import Args
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.registry import Command, Registry
from bot.core.types import CommandSpec, ParamSpec, Reply
from bot.engine.api import ModelInfo

WELCOME = (
    "Hello {name}! I am Bardling: I write verse in Shakespeare's manner and invent dinosaur names, "
    "with small language models trained for the purpose.\n\n"
    "Try /poem Shall I compare thee or /dinoname 3.\n/help lists everything."
)


async def start(ctx: Context, args: Args) -> Reply:
    return Reply(WELCOME.format(name=ctx.inv.user_name or "there"))


async def help_(ctx: Context, args: Args) -> Reply:
    topic = args.text("command").strip().lstrip("/").lower()
    if topic:
        command = ctx.core.registry.get(topic)
        if command is None or (command.spec.admin_only and not ctx.is_admin):
            raise UserError(f"Unknown command /{topic[:32]} — try /help")
        lines = [command.usage(), command.spec.description]
        lines += [f"  {p.name}: {p.description}" for p in command.spec.params]
        return Reply("\n".join(lines))
    lines = ["Commands:"]
    lines += [f"/{spec.name} — {spec.description}" for spec in ctx.core.commands(admin=ctx.is_admin)]
    lines += [
        "",
        "Details: /help <command>. Options go as name:value, e.g. /poem O gentle night temperature:1.1",
    ]
    return Reply("\n".join(lines))


def _describe(info: ModelInfo) -> str:
    loss = info.metrics.get("val_loss")
    parts = [f"{info.name} v{info.version} ({info.kind})"]
    if info.description:
        parts.append(f"— {info.description}")
    if isinstance(loss, int | float):
        parts.append(f"· validation loss {loss:.3f}")
    if info.previous_versions:
        parts.append("· earlier: " + ", ".join(_earlier(info, v) for v in info.previous_versions))
    return " ".join(parts)


def _earlier(info: ModelInfo, version: str) -> str:
    loss = info.previous_metrics.get(version, {}).get("val_loss")
    return f"v{version} (val {loss:.3f})" if isinstance(loss, int | float) else f"v{version}"


async def models(ctx: Context, args: Args) -> Reply:
    infos = sorted(ctx.engine.models(), key=lambda m: (m.kind, m.name))
    if not infos:
        return Reply("No models are installed.")
    return Reply("\n".join(["Models:", *(_describe(m) for m in infos)]))


def register(registry: Registry) -> None:
    registry.add(Command(CommandSpec("start", "Say hello"), start))
    registry.add(
        Command(CommandSpec("help", "What I can do", [ParamSpec("command", "A command to explain")]), help_)
    )
    registry.add(Command(CommandSpec("models", "The models I serve, with their versions and scores"), models))
