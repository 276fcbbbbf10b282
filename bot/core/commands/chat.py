"""/chat: what Bardling may do in this chat, set by the chat's admins and enforced by the core.

A chat's admins are who the platform says (Discord: Manage Server; Telegram: the group's
administrators; in a private chat, its one user), plus the bot's own admins. Anyone may look;
only they may change: which commands are on here, who may use the bot here (everyone or the
admins), and a cooldown between generations here. ``bot.core.chat_policy`` enforces the rules.
In a Discord server, ``scope:server`` sets rules for all its channels at once; a channel's own
rules override the server's field by field, so one channel can differ without repeating the rest.
"""

from __future__ import annotations

from typing import Any

from bot.core.args import Args
from bot.core.chat_policy import ALWAYS_OPEN, CHAT_COMMAND, MAX_COOLDOWN_S, effective_rules, layers
from bot.core.commands.menus import choice, spoken
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.registry import Commands
from bot.core.types import Button, CommandSpec, ParamSpec, Reply
from bot.storage import chat_rules
from bot.storage.chat_rules import Rules

RESET = "reset"
COMMANDS = "commands"
OPTIONS = (
    ParamSpec("who", "Who may use Bardling here: everyone or admins", choices=("everyone", "admins")),
    ParamSpec(
        "cooldown",
        N_("Seconds between generations here, whoever asks, 0–{high} (0: none)", high=MAX_COOLDOWN_S),
        "int",
        min_value=0,
        max_value=MAX_COOLDOWN_S,
    ),
    ParamSpec("disable", "Commands to turn off here, e.g. poem,dinoname"),
    ParamSpec("enable", "Commands to turn back on here"),
)
WHO = {"everyone": False, "admins": True}
COOLDOWNS = (0, 10, 30, 60, 300)
MAX_BUTTONS = 20  # Discord takes 25 in a message; room for what the menu adds
NOT_ADMIN = N_("Only this chat's admins can change that.")
NOT_ADMIN_SERVER = N_("Only members with Manage Server can change this server's rules.")
SCOPES = ("here", "server")


DECLARED = Commands()  # ("COMMANDS" names the commands setting here)


@DECLARED.command(
    CommandSpec(
        CHAT_COMMAND,
        "What Bardling may do in this chat (its admins change it)",
        [
            ParamSpec("setting", "who, cooldown, commands or reset, optionally with a value"),
            *OPTIONS,
            ParamSpec(
                "scope",
                "here (this channel) or server (every channel of this Discord server)",
                choices=SCOPES,
            ),
        ],
    ),
    greedy="setting",
)
async def chat(ctx: Context, args: Args) -> Reply:
    asked, value = spoken(args.text("setting"), OPTIONS, extra=(RESET, COMMANDS))
    chosen: dict[str, Any] = {p.name: args.values[p.name] for p in OPTIONS if p.name in args.values}
    server = _server_scope(ctx, args.text("scope"))
    reset = asked == RESET
    if not server and asked in (COMMANDS, "disable", "enable") and value is None and not chosen:
        return _commands_menu(ctx, await effective_rules(ctx))
    if not server and asked in ("who", "cooldown") and value is None and not chosen:
        return _menu(asked, await effective_rules(ctx))
    if asked and not reset:
        if value is None:
            raise UserError(_("Give {name} a value: /chat {name} <value>", name=asked))
        chosen[asked] = value
    if not chosen and not reset:
        return _show(*await layers(ctx))
    if not ctx.is_chat_admin:
        raise UserError(_(NOT_ADMIN_SERVER if server else NOT_ADMIN))
    key = ctx.server_key if server else ctx.chat_key
    note = _("Saved for every channel of this server.") if server else _("Saved.")
    if reset:
        await chat_rules.change(ctx.storage, key, lambda old: chat_rules.NONE)
        return _show(*await layers(ctx), note=_("Reset."))
    off, on = _commands(ctx, chosen.get("disable")), _commands(ctx, chosen.get("enable"))
    who = str(chosen.get("who", "")).strip().lower()
    if who and who not in WHO:
        raise UserError(_("who is everyone or admins: /chat who admins"))
    inherited = chat_rules.DEFAULTS if server else (await layers(ctx))[1].over(chat_rules.DEFAULTS)

    def edit(old: Rules) -> Rules:
        disabled = old.disabled if old.disabled is not None else inherited.disabled
        return Rules(
            disabled=((disabled or frozenset()) | off) - on if off or on else old.disabled,
            admins_only=WHO[who] if who else old.admins_only,
            cooldown_s=int(chosen["cooldown"]) if "cooldown" in chosen else old.cooldown_s,
        )

    await chat_rules.change(ctx.storage, key, edit)
    if not server and set(chosen) <= {"disable", "enable"}:
        return _commands_menu(ctx, await effective_rules(ctx), note)
    return _show(*await layers(ctx), note=note)


def _server_scope(ctx: Context, scope: str | None) -> bool:
    """Whether ``scope:server`` was asked for (rules for every channel of this server); only where
    there is a server."""
    scope = (scope or "here").strip().lower()
    if scope not in SCOPES:
        raise UserError(_("scope is here or server: /chat scope:server cooldown 30"))
    if scope == "server" and not ctx.server_key:
        raise UserError(_("There is no server here: scope:server is for Discord servers."))
    return scope == "server"


def _commands(ctx: Context, text: Any) -> frozenset[str]:
    """Command names from ``poem,dinoname`` (or ``/poem /dinoname``), each one checked."""
    names = set()
    for word in str(text or "").replace(",", " ").split():
        command = ctx.core.registry.get(word.lstrip("/").lower())
        if command is None:
            raise UserError(_("Unknown command /{name} — try /help", name=word.lstrip("/")[:32]))
        if command.name in ALWAYS_OPEN:
            raise UserError(_("/{command} stays on everywhere.", command=command.name))
        names.add(command.name)
    return frozenset(names)


def _show(here: Rules, server: Rules, note: str = "") -> Reply:
    """What holds in this chat, each rule marked where a server's rule or none (the default) holds."""
    rules = here.over(server).over(chat_rules.DEFAULTS)

    def source(name: str) -> str:
        if getattr(server, name) is None:
            return ""
        return _(" (this channel's rule)") if getattr(here, name) is not None else _(" (this server's rule)")

    off = ", ".join(f"/{name}" for name in sorted(rules.disabled or ())) or _("nothing")
    cooldown = _("none")
    if rules.cooldown_s:
        cooldown = _("{seconds} s between generations", seconds=rules.cooldown_s)
    lines = [note, ""] if note else []
    lines += [
        _("In this chat:"),
        _("who may use Bardling: {who}", who=_("the admins only") if rules.admins_only else _("everyone"))
        + source("admins_only"),
        _("cooldown: {cooldown}", cooldown=cooldown) + source("cooldown_s"),
        _("turned off: {off}", off=off) + source("disabled"),
        "",
        _(
            "The chat's admins change these: /chat who admins · /chat cooldown 30 · /chat disable poem"
            " · /chat reset"
        ),
    ]
    who = Button(_("👥 Everyone"), CHAT_COMMAND, "who=everyone")
    if not rules.admins_only:
        who = Button(_("🛡 Admins only"), CHAT_COMMAND, "who=admins")
    buttons = [
        who,
        Button(_("⏱ Cooldown"), CHAT_COMMAND, "cooldown"),
        Button(_("🚫 Commands"), CHAT_COMMAND, COMMANDS),
        Button(_("↩ Reset"), CHAT_COMMAND, RESET),
    ]
    return Reply("\n".join(lines), buttons=buttons)


def _menu(name: str, rules: Rules) -> Reply:
    if name == "who":
        current = "admins" if rules.admins_only else "everyone"
        buttons = [choice(CHAT_COMMAND, "who", w, current) for w in WHO]
        return Reply(_("Who may use Bardling here — now {who}.", who=current), buttons=buttons)
    buttons = [
        choice(CHAT_COMMAND, "cooldown", s, rules.cooldown_s, f"{s} s" if s else _("none")) for s in COOLDOWNS
    ]
    now = f"{rules.cooldown_s} s" if rules.cooldown_s else _("none")
    return Reply(
        _("Cooldown between generations here — now {now}. Or type /chat cooldown <seconds>.", now=now),
        buttons=buttons,
    )


def _commands_menu(ctx: Context, rules: Rules, note: str = "") -> Reply:
    """A button per command: ✅ on (press to turn off), 🚫 off (press to turn on)."""
    names = [s.name for s in ctx.core.commands() if s.name not in ALWAYS_OPEN][:MAX_BUTTONS]
    buttons = [
        Button(f"🚫 /{n}", CHAT_COMMAND, f"enable={n}")
        if n in (rules.disabled or ())
        else Button(f"✅ /{n}", CHAT_COMMAND, f"disable={n}")
        for n in names
    ]
    lines = [note, ""] if note else []
    lines.append(
        _("Commands in this chat (✅ on, 🚫 off) — press one to switch it, or type /chat disable poem.")
    )
    return Reply("\n".join(lines), buttons=buttons)


register = DECLARED.register
