"""/settings: a user's own defaults for /poem (model, form, temperature, length); /privacy.

Shown and changed with buttons (each one a command line, so every transport renders them) or as
text: ``/settings form:haiku temperature:0.7``, ``/settings temperature 0.9``, ``/settings reset``.
An option named in /poem itself always wins over these.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from artifact.sampling import MAX_TEMPERATURE, MAX_TOKENS, MIN_TEMPERATURE
from bot.core import preferences as mine
from bot.core.args import Args
from bot.core.commands.generate import TEXT_KINDS, default_poem_model, pick_form, pick_model
from bot.core.commands.menus import choice, fits, spoken
from bot.core.commands.params import FORM, LENGTH, MODEL, TEMPERATURE
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.i18n import N_, _
from bot.core.registry import Commands
from bot.core.types import Button, CommandSpec, ParamSpec, Reply
from bot.engine.api import ModelInfo
from bot.storage import preferences

SETTINGS = "settings"
RESET = "reset"
OPTIONS = (
    replace(MODEL, description=N_("Your model for /poem (see /models)"), model_kinds=TEXT_KINDS),
    replace(FORM, description=N_("Your verse form for /poem, where the model keeps forms")),
    replace(
        TEMPERATURE,
        description=N_(
            "Your boldness for /poem, {low:g}–{high:g}", low=MIN_TEMPERATURE, high=MAX_TEMPERATURE
        ),
    ),
    replace(
        LENGTH, description=N_("Your length for /poem: at most this many tokens, 1–{high}", high=MAX_TOKENS)
    ),
)
FIELDS = tuple(p.name for p in OPTIONS)
TEMPERATURES = (0.6, 0.8, 1.0, 1.2)
LENGTHS = (100, 200, 400, 800)
LABELS = {
    "model": N_("🤖 Model"),
    "form": N_("📜 Form"),
    "temperature": N_("🌡 Temperature"),
    "length": N_("📏 Length"),
}

PRIVACY = N_("""What Bardling stores about you:
• every text you make: the text, your opening words, the model and its version, the sampling \
settings and random seed that reproduce it, the chat it was shown in, and when;
• your favourites and your /settings;
• your user id and display name on this platform, so that these stay yours;
• for the bot's admins: the retraining jobs they start and the corpus files they attach.
A chat's admins may also set what Bardling does in their chat (/chat); that is about the chat, not you.
Bardling reads only what is addressed to it (commands, its buttons, @-queries in inline mode), \
never other messages.

How long: until you delete it — nothing expires by itself, except picture cards (🖼), a cache \
cleared after about an hour.
How to delete: /unfav <id> drops a favourite, /settings reset your settings, and /forget deletes \
everything about you (after you confirm; your past retraining jobs lose your name).""")


COMMANDS = Commands()


@COMMANDS.command(
    CommandSpec(
        SETTINGS,
        "Your defaults for /poem: model, form, temperature, length",
        [
            ParamSpec("setting", "A setting to choose with buttons, a setting and its value, or “reset”"),
            *OPTIONS,
            ParamSpec(RESET, "A setting to set back to its default, or “all”"),
        ],
    ),
    greedy="setting",
)
async def settings(ctx: Context, args: Args) -> Reply:
    asked, value = spoken(args.text("setting"), OPTIONS, extra=(RESET,))
    chosen: dict[str, Any] = {name: args.values[name] for name in FIELDS if name in args.values}
    reset = args.text(RESET).strip().lower()
    if asked == RESET:
        reset = str(value or "all").lower()
    elif asked and value is None:
        if chosen or reset:
            raise UserError(_("Give {name} a value: /settings {name} <value>", name=asked))
        return await _menu(ctx, asked)
    elif asked:
        chosen[asked] = value
    if reset and reset not in (*FIELDS, "all"):
        raise UserError(_("Usage: /settings reset, or /settings reset:<{fields}>", fields="|".join(FIELDS)))
    if not chosen and not reset:
        return await _show(ctx)
    if reset == "all":
        user_id = await ctx.known_user_id()
        if user_id is not None:
            await preferences.clear(ctx.storage, user_id)
        return await _show(ctx, _("Back to the defaults."))
    current = await mine.of(ctx)
    changes, notes = _checked(ctx, current, chosen)
    if reset:
        changes[reset] = None
    await preferences.change(ctx.storage, await ctx.user_id(), changes)
    return await _show(ctx, " ".join([_("Saved."), *notes]))


def _checked(
    ctx: Context, current: dict[str, Any], chosen: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The values to store, checked as /poem would check them, and what else changed because of them."""
    changes = dict(chosen)
    notes: list[str] = []
    if "model" in chosen:
        changes["model"] = pick_model(ctx, str(chosen["model"]), TEXT_KINDS, "").name
    info = default_poem_model(ctx, changes.get("model", current.get("model", "")))
    if "form" in chosen:
        changes["form"] = pick_form(info, str(chosen["form"]))
    elif "model" in chosen and current.get("form") and current["form"] not in info.forms:
        changes["form"] = None
        notes.append(
            _(
                "Form back to the default: {model} does not write a {form}.",
                model=info.name,
                form=current["form"],
            )
        )
    return changes, notes


def _defaults(info: ModelInfo) -> dict[str, str]:
    sampling = info.defaults
    return {
        "model": info.name,
        "form": info.default_form or (_("the model's own") if info.forms else _("free verse")),
        "temperature": f"{sampling.temperature:g}" if sampling else _("the model's"),
        "length": str(sampling.max_tokens) if sampling else _("the model's"),
    }


async def _show(ctx: Context, note: str = "") -> Reply:
    current = await mine.of(ctx)
    defaults = _defaults(default_poem_model(ctx, current.get("model", "")))  # of the model in use
    defaults["model"] = default_poem_model(ctx).name
    lines = [note, ""] if note else []
    lines.append(_("Your settings — /poem uses them unless you name an option:"))
    for name in FIELDS:
        value = current.get(name)
        shown = f"{value:g}" if isinstance(value, float) else value
        default = _("{name}: default ({value})", name=name, value=defaults[name])
        lines.append(f"{name}: {shown}" if value is not None else default)
    lines += [
        "",
        _("Change: /settings temperature 0.9 or /settings form:haiku length:200 · all back: /settings reset"),
    ]
    buttons = [Button(_(LABELS[name]), SETTINGS, name) for name in FIELDS]
    return Reply("\n".join(lines), buttons=[*buttons, Button(_("↩ Reset"), SETTINGS, RESET)])


async def _menu(ctx: Context, name: str) -> Reply:
    """The choices for one setting, as buttons."""
    current = await mine.of(ctx)
    now = current.get(name)
    info = default_poem_model(ctx, current.get("model", ""))
    values: list[Any]
    if name == "model":
        values = sorted(m.name for m in ctx.engine.models() if m.kind in TEXT_KINDS and fits(m.name))
    elif name == "form":
        values = list(info.forms)
        if not values:
            return Reply(
                _(
                    "{model} writes free verse only: choose a model that keeps forms first (/models).",
                    model=info.name,
                )
            )
    else:
        values = list(TEMPERATURES if name == "temperature" else LENGTHS)
    shown = _("default") if now is None else (f"{now:g}" if isinstance(now, float) else str(now))
    text = _("{name} — now {value}. Choose one, or type /settings {name} <value>.", name=name, value=shown)
    buttons = [choice(SETTINGS, name, v, now) for v in values]
    return Reply(text, buttons=[*buttons, Button(_("↩ Default"), SETTINGS, f"{RESET}={name}")])


@COMMANDS.command(CommandSpec("privacy", "What Bardling stores about you, for how long, how to delete it"))
async def privacy(ctx: Context, args: Args) -> Reply:
    return Reply(_(PRIVACY))


register = COMMANDS.register
