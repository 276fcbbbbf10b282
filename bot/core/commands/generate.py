"""/poem, /dinoname, /again, /replay: the commands that make text (each spends a rate-limit token).

An empty seed is allowed: ``/poem`` alone lets the model begin on its own, which is what someone
trying the bot expects. Characters the model does not know (emoji, Chinese in an English model)
are dropped and named in the reply; control characters are removed silently.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from artifact.forms import FORMS, form_named
from bot.core import preferences
from bot.core.args import Args
from bot.core.commands.params import FORM, ID, ID_REQUIRED, LENGTH, MODEL, TEMPERATURE
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.generation import (
    NAMES_COMMAND,
    Recipe,
    footer,
    make,
    produce,
    show,
)
from bot.core.i18n import N_, _
from bot.core.lookup import chosen_or_last, reachable
from bot.core.registry import Commands
from bot.core.text import strip_controls
from bot.core.types import CommandSpec, ParamSpec, Reply
from bot.engine.api import EngineError, ModelInfo, SamplingOverrides
from bot.engine.seeds import draw_seed

MAX_PREFIX_CHARS = 40
MAX_ACROSTIC_CHARS = 16  # the engine wants 4 or 8 and says so; this only bounds what is stored
TEXT_KINDS = ("verse", "prose")
ROUTED_KINDS = ("verse",)  # what /poem may pick by itself: a prose model only serves when named
NAME_KINDS = ("names",)
T = TypeVar("T")


def pick_model(ctx: Context, requested: str, kinds: tuple[str, ...], preferred: str) -> ModelInfo:
    models = {m.name: m for m in ctx.engine.models()}
    broken = ctx.engine.unavailable()
    if requested:
        info = models.get(requested) or models.get(requested.lower())
        if info is None and (reason := broken.get(requested) or broken.get(requested.lower())):
            raise UserError(
                _(
                    "Model {model} is unavailable right now: {reason}",
                    model=requested[:40],
                    reason=reason,
                )
            )
        if info is None:
            names = ", ".join(sorted(models)) or _("none installed")
            raise UserError(
                _(
                    "Unknown model “{model}”. Available: {names}.",
                    model=requested[:40],
                    names=names,
                )
            )
        if info.kind not in kinds:
            other = "/dinoname" if info.kind in NAME_KINDS else "/poem"
            raise UserError(
                _(
                    "{model} makes {kind} — use it with {other}.",
                    model=info.name,
                    kind=info.kind,
                    other=other,
                )
            )
        return info
    if preferred in models and models[preferred].kind in kinds:
        return models[preferred]
    if preferred in broken:  # the default is broken: say so, never serve another under its name
        raise UserError(
            _(
                "Model {model} is unavailable right now: {reason}",
                model=preferred,
                reason=broken[preferred],
            )
        )
    for kind in kinds:
        for name in sorted(models):
            if models[name].kind == kind:
                return models[name]
    raise UserError(_("No model for this command is installed — see /models."))


def default_poem_model(ctx: Context, mine: str = "") -> ModelInfo:
    """The caller's own default (``/settings model``) while it is installed, else the bot's."""
    own = next((m for m in ctx.engine.models() if m.name == mine and m.kind in TEXT_KINDS), None)
    return own or pick_model(ctx, "", TEXT_KINDS, ctx.settings.default_poem_model)


def pick_poem_model(ctx: Context, requested: str, seed: str, acrostic: str, mine: str = "") -> ModelInfo:
    """The model asked for, else ``route_poem`` from the caller's default."""
    if requested:
        return pick_model(ctx, requested, TEXT_KINDS, ctx.settings.default_poem_model)
    return route_poem(ctx.engine.models(), default_poem_model(ctx, mine), seed, acrostic)


def route_poem(models: list[ModelInfo], preferred: ModelInfo, seed: str, acrostic: str) -> ModelInfo:
    """With no model named: one that keeps acrostics when one is given; else ``preferred``, unless
    the seed is mostly in a script it cannot read and another verse model can (a Chinese seed goes
    to the Tang model)."""
    candidates = [m for m in models if m.kind in ROUTED_KINDS]
    if acrostic:
        formed = [m for m in candidates if m.form is not None]
        return max(formed, key=lambda m: m.coverage(acrostic)) if formed else preferred
    if preferred.coverage(seed) >= 0.5 or not candidates:
        return preferred
    best = max(candidates, key=lambda m: m.coverage(seed))
    return best if best.coverage(seed) > preferred.coverage(seed) else preferred


def clean_seed(raw: str, *, limit: int, what: str) -> str:
    seed = strip_controls(raw).strip()
    if len(seed) > limit:
        raise UserError(_("{what} too long (max {limit} characters).", what=_(what), limit=limit))
    return seed


COMMANDS = Commands()


@COMMANDS.command(
    CommandSpec(
        "poem",
        "Verse in Shakespeare's manner, continuing your opening words",
        [
            ParamSpec("seed", "Opening words (may be empty)"),
            replace(MODEL, model_kinds=TEXT_KINDS),
            TEMPERATURE,
            LENGTH,
            ParamSpec("acrostic", "Chinese verse: 4 or 8 characters that start the lines (藏头诗)"),
            FORM,
            ParamSpec("chars", "Chinese verse: 5 or 7 characters a line", "int", min_value=5, max_value=7),
        ],
    ),
    greedy="seed",
    generates=True,
)
async def poem(ctx: Context, args: Args) -> Reply:
    seed = clean_seed(args.text("seed"), limit=ctx.settings.max_seed_chars, what=N_("Seed"))
    acrostic = clean_seed(args.text("acrostic"), limit=MAX_ACROSTIC_CHARS, what=N_("Acrostic"))
    mine = await preferences.of(ctx)  # the caller's /settings: options named here win
    info = pick_poem_model(ctx, args.text("model"), seed, acrostic, mine.get("model", ""))
    params = SamplingOverrides(  # only what the user chose: the engine merges the model's defaults
        temperature=_given(args.number("temperature"), mine.get("temperature")),
        max_tokens=_given(args.integer("length"), mine.get("length")),
    )
    form = pick_form(info, args.text("form"), mine.get("form"))
    recipe = Recipe(
        "poem",
        info.name,
        seed,
        params,
        draw_seed(),
        acrostic=acrostic or None,
        form=form,
        chars=args.integer("chars"),
    )
    return await make(ctx, recipe)


def _given(named: T | None, mine: Any) -> T | None:
    return mine if named is None else named


def pick_form(info: ModelInfo, requested: str, mine: str | None = None) -> str | None:
    """The form asked for, checked against what the model can keep; else the caller's own default
    where this model keeps it (a poem routed to another model drops it); else the model's."""
    if not requested:
        return mine if mine in info.forms else info.default_form
    form = form_named(requested)
    if form is None:
        raise UserError(
            _(
                "Unknown form “{form}”. Forms: {forms}.",
                form=requested[:40],
                forms=", ".join(FORMS),
            )
        )
    if form.name not in info.forms:
        can = ", ".join(info.forms) or _("free verse only")
        raise UserError(
            _(
                "{model} cannot write a {form} — it writes: {can}.",
                model=info.name,
                form=form.name,
                can=can,
            )
        )
    return form.name


@COMMANDS.command(
    CommandSpec(
        "dinoname",
        "Invent dinosaur names",
        [
            ParamSpec("count", "How many names, 1–20 (default 5)", "int", min_value=1, max_value=20),
            ParamSpec("prefix", "Start every name with these letters"),
            replace(MODEL, model_kinds=NAME_KINDS),
        ],
    ),
    greedy="prefix",
    generates=True,
)
async def dinoname(ctx: Context, args: Args) -> Reply:
    info = pick_model(ctx, args.text("model"), NAME_KINDS, ctx.settings.default_names_model)
    prefix = clean_seed(args.text("prefix"), limit=MAX_PREFIX_CHARS, what=N_("Prefix"))
    if "\n" in prefix:
        raise UserError(_("A prefix is one line."))
    count = args.integer("count") or 5
    return await make(ctx, Recipe(NAMES_COMMAND, info.name, prefix, None, draw_seed(), count=count))


@COMMANDS.command(
    CommandSpec("again", "Another take on your last (or a given) one: same words, new luck", [ID]),
    generates=True,
)
async def again(ctx: Context, args: Args) -> Reply:
    row = await chosen_or_last(ctx, args.integer("id"))
    if row.model not in {m.name for m in ctx.engine.models()}:
        if reason := ctx.engine.unavailable().get(row.model):
            raise UserError(
                _(
                    "Model {model} is unavailable right now: {reason}",
                    model=row.model,
                    reason=reason,
                )
            )
        raise UserError(_("Model {model} is no longer installed.", model=row.model))
    recipe = Recipe.of(row, rng_seed=draw_seed(), same_version=False)
    return await make(ctx, recipe, notes=[_("Again, from #{id}.", id=row.id)])


@COMMANDS.command(
    CommandSpec("replay", "Make a generation again exactly, from what was stored", [ID_REQUIRED]),
    generates=True,
)
async def replay(ctx: Context, args: Args) -> Reply:
    generation_id = args.integer("id")
    assert generation_id is not None  # required parameter
    row = await reachable(ctx, generation_id)
    try:
        outcome = await produce(ctx, Recipe.of(row, same_version=True))
    except EngineError as err:
        raise UserError(
            f"Cannot replay #{row.id}: {row.model} v{row.model_version} is no longer available ({err})."
        ) from err
    same = row.text in (outcome.text, outcome.as_seen)  # older rows show the seed as the model read it
    same_text = "identical to the original" if same else "DIFFERS from the stored text"
    return show(row.id, outcome.text, f"{footer(row)} · replayed with RNG seed {row.rng_seed} · {same_text}")


register = COMMANDS.register
