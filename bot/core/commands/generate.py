"""/poem, /dinoname, /again, /replay: the commands that make text (each spends a rate-limit token).

An empty seed is allowed: ``/poem`` alone lets the model begin on its own, which is what someone
trying the bot expects. Characters the model does not know (emoji, Chinese in an English model)
are dropped and named in the reply; control characters are removed silently.
"""

from __future__ import annotations

from artifact.forms import FORMS, form_named
from bot.core.args import Args
from bot.core.commands.params import ID, ID_REQUIRED, MODEL
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.generation import (
    NAMES_COMMAND,
    Recipe,
    footer,
    make,
    produce,
    show,
    with_overrides,
)
from bot.core.lookup import chosen_or_last, reachable
from bot.core.registry import Command, Registry
from bot.core.text import strip_controls
from bot.core.types import CommandSpec, ParamSpec, Reply
from bot.engine.api import EngineError, ModelInfo
from bot.engine.seeds import draw_seed

MAX_PREFIX_CHARS = 40
MAX_ACROSTIC_CHARS = 16  # the engine wants 4 or 8 and says so; this only bounds what is stored
TEXT_KINDS = ("verse", "prose")
NAME_KINDS = ("names",)


def pick_model(ctx: Context, requested: str, kinds: tuple[str, ...], preferred: str) -> ModelInfo:
    models = {m.name: m for m in ctx.engine.models()}
    if requested:
        info = models.get(requested) or models.get(requested.lower())
        if info is None:
            names = ", ".join(sorted(models)) or "none installed"
            raise UserError(f"Unknown model “{requested[:40]}”. Available: {names}.")
        if info.kind not in kinds:
            other = "/dinoname" if info.kind in NAME_KINDS else "/poem"
            raise UserError(f"{info.name} makes {info.kind} — use it with {other}.")
        return info
    if preferred in models and models[preferred].kind in kinds:
        return models[preferred]
    for kind in kinds:
        for name in sorted(models):
            if models[name].kind == kind:
                return models[name]
    raise UserError("No model for this command is installed — see /models.")


def pick_poem_model(ctx: Context, requested: str, seed: str, acrostic: str) -> ModelInfo:
    """The model asked for, else ``route_poem`` from the default."""
    preferred = pick_model(ctx, requested, TEXT_KINDS, ctx.settings.default_poem_model)
    return preferred if requested else route_poem(ctx.engine.models(), preferred, seed, acrostic)


def route_poem(models: list[ModelInfo], preferred: ModelInfo, seed: str, acrostic: str) -> ModelInfo:
    """With no model named: one that keeps acrostics when one is given; else ``preferred``, unless
    the seed is mostly in a script it cannot read and another verse model can (a Chinese seed goes
    to the Tang model)."""
    candidates = [m for m in models if m.kind in TEXT_KINDS]
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
        raise UserError(f"{what} too long (max {limit} characters).")
    return seed


async def poem(ctx: Context, args: Args) -> Reply:
    seed = clean_seed(args.text("seed"), limit=ctx.settings.max_seed_chars, what="Seed")
    acrostic = clean_seed(args.text("acrostic"), limit=MAX_ACROSTIC_CHARS, what="Acrostic")
    info = pick_poem_model(ctx, args.text("model"), seed, acrostic)
    params = with_overrides(
        info.defaults, temperature=args.number("temperature"), max_tokens=args.integer("length")
    )
    form = pick_form(info, args.text("form"))
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


def pick_form(info: ModelInfo, requested: str) -> str | None:
    """The form asked for, checked against what the model can keep; else the model's default."""
    if not requested:
        return info.default_form
    form = form_named(requested)
    if form is None:
        raise UserError(f"Unknown form “{requested[:40]}”. Forms: {', '.join(FORMS)}.")
    if form.name not in info.forms:
        can = ", ".join(info.forms) or "free verse only"
        raise UserError(f"{info.name} cannot write a {form.name} — it writes: {can}.")
    return form.name


async def dinoname(ctx: Context, args: Args) -> Reply:
    info = pick_model(ctx, args.text("model"), NAME_KINDS, ctx.settings.default_names_model)
    prefix = clean_seed(args.text("prefix"), limit=MAX_PREFIX_CHARS, what="Prefix")
    if "\n" in prefix:
        raise UserError("A prefix is one line.")
    count = args.integer("count") or 5
    return await make(ctx, Recipe(NAMES_COMMAND, info.name, prefix, None, draw_seed(), count=count))


async def again(ctx: Context, args: Args) -> Reply:
    row = await chosen_or_last(ctx, args.integer("id"))
    if row.model not in {m.name for m in ctx.engine.models()}:
        raise UserError(f"Model {row.model} is no longer installed.")
    recipe = Recipe.of(row, rng_seed=draw_seed(), same_version=False)
    return await make(ctx, recipe, notes=[f"Again, from #{row.id}."])


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
    same = "identical to the original" if outcome.text == row.text else "DIFFERS from the stored text"
    return show(row.id, outcome.text, f"{footer(row)} · replayed with RNG seed {row.rng_seed} · {same}")


def register(registry: Registry) -> None:
    registry.add(
        Command(
            CommandSpec(
                "poem",
                "Verse in Shakespeare's manner, continuing your opening words",
                [
                    ParamSpec("seed", "Opening words (may be empty)"),
                    MODEL,
                    ParamSpec(
                        "temperature",
                        "Boldness, 0.1–2 (default: the model's)",
                        "float",
                        min_value=0.1,
                        max_value=2.0,
                    ),
                    ParamSpec(
                        "length", "At most this many tokens, 1–1000", "int", min_value=1, max_value=1000
                    ),
                    ParamSpec("acrostic", "Chinese verse: 4 or 8 characters that start the lines (藏头诗)"),
                    ParamSpec(
                        "form", "sonnet, quatrain, couplets, limerick, haiku, free; Chinese: jueju, lushi"
                    ),
                    ParamSpec(
                        "chars", "Chinese verse: 5 or 7 characters a line", "int", min_value=5, max_value=7
                    ),
                ],
            ),
            poem,
            greedy="seed",
            generates=True,
        )
    )
    registry.add(
        Command(
            CommandSpec(
                "dinoname",
                "Invent dinosaur names",
                [
                    ParamSpec("count", "How many names, 1–20 (default 5)", "int", min_value=1, max_value=20),
                    ParamSpec("prefix", "Start every name with these letters"),
                    MODEL,
                ],
            ),
            dinoname,
            greedy="prefix",
            generates=True,
        )
    )
    registry.add(
        Command(
            CommandSpec("again", "Another take on your last (or a given) one: same words, new luck", [ID]),
            again,
            generates=True,
        )
    )
    registry.add(
        Command(
            CommandSpec("replay", "Make a generation again exactly, from what was stored", [ID_REQUIRED]),
            replay,
            generates=True,
        )
    )
