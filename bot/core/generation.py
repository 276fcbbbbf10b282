"""Making a text from a recipe, storing it with everything that reproduces it, and showing it.

A recipe is (command, model, version, seed text, sampling parameters, RNG seed, count). The core
draws the RNG seed itself, so the stored row reproduces the text whatever the engine defaults are.
``/dinoname`` asks the engine for ``count`` distinct names derived from that one RNG seed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from artifact.verse_form import as_lines
from bot.core.context import Context
from bot.core.i18n import _
from bot.core.text import unique_in_order
from bot.core.types import Button, Reply
from bot.engine.api import GenerationRequest, SamplingOverrides, SamplingParams
from bot.engine.names import distinct_names
from bot.storage import generations
from bot.storage.models import Generation

NAMES_COMMAND = "dinoname"


@dataclass(frozen=True)
class Recipe:
    command: str  # "poem" or "dinoname": how the text is made and shown
    model: str
    seed_text: str
    # what the user chose (merged with the model's defaults by the engine), or a stored generation's
    # complete parameters; the resolved ones are stored
    params: SamplingParams | SamplingOverrides | None
    rng_seed: int
    count: int = 1
    version: str | None = None  # None: the version being served
    acrostic: str | None = None  # characters that start the lines (regulated-verse models)
    form: str | None = None  # the verse form kept (``artifact.forms``); None: free, as before forms
    chars: int | None = None  # characters per clause asked of Chinese regulated verse

    @classmethod
    def of(cls, row: Generation, *, rng_seed: int | None = None, same_version: bool) -> Recipe:
        """The recipe a stored generation was made from; ``rng_seed`` set → a fresh variation."""
        stored = dict(row.params)
        return cls(
            command=row.command,
            model=row.model,
            seed_text=row.seed_text,
            params=SamplingParams.from_dict(stored),
            rng_seed=row.rng_seed if rng_seed is None else rng_seed,
            count=int(stored.get("count", 1)),
            version=row.model_version if same_version else None,
            acrostic=stored.get("acrostic"),
            form=stored.get("form"),
            chars=stored.get("chars"),
        )


@dataclass(frozen=True)
class Outcome:
    text: str
    model_version: str
    params: SamplingParams
    dropped: list[str]
    latency_s: float
    as_seen: str = ""  # the text as generations stored before seeds were printed as typed show it


async def produce(ctx: Context, recipe: Recipe) -> Outcome:
    start = time.perf_counter()
    request = GenerationRequest(
        recipe.model,
        recipe.seed_text,
        recipe.params,
        recipe.rng_seed,
        recipe.version,
        recipe.acrostic,
        form=recipe.form,
        chars=recipe.chars,
    )
    if recipe.command == NAMES_COMMAND:
        results = await distinct_names(ctx.engine, request, recipe.count)
        text = "\n".join(r.text for r in results)
        first = results[0] if results else await ctx.engine.generate(request)
    else:
        first = await ctx.engine.generate(request)
        text = as_lines(first.text.rstrip())
    as_seen = as_lines(first.as_seen.rstrip()) if recipe.command != NAMES_COMMAND else text
    elapsed = time.perf_counter() - start
    return Outcome(text, first.model_version, first.params, first.dropped, elapsed, as_seen)


async def store(ctx: Context, recipe: Recipe, outcome: Outcome) -> Generation:
    return await generations.add(
        ctx.storage,
        user_id=await ctx.user_id(),
        chat_id=ctx.chat_key,
        command=recipe.command,
        model=recipe.model,
        model_version=outcome.model_version,
        seed_text=recipe.seed_text,
        rng_seed=recipe.rng_seed,
        params={**outcome.params.to_dict(), "count": recipe.count}
        | {
            k: v
            for k, v in (("acrostic", recipe.acrostic), ("form", recipe.form), ("chars", recipe.chars))
            if v
        },
        text=outcome.text,
        latency_s=outcome.latency_s,
    )


def _shown(ch: str) -> str:
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def ignored_note(dropped: list[str]) -> str | None:
    if not dropped:
        return None
    shown = unique_in_order([_shown(ch) for ch in dropped])
    more = _(" (+{count} more)", count=len(shown) - 20) if len(shown) > 20 else ""
    return _("Ignored characters this model does not know: {chars}", chars=" ".join(shown[:20])) + more


def generation_buttons(generation_id: int) -> list[Button]:
    arg = str(generation_id)
    return [
        Button(_("⭐ Save"), "fav", arg),
        Button(_("🔁 Again"), "again", arg),
        Button(_("🖼 Card"), "card", arg),
    ]


def show(generation_id: int, text: str, footer: str, notes: Sequence[str | None] = ()) -> Reply:
    """The text, any notes, and a footer naming the id (for ``/fav 12``, ``/replay 12``)."""
    body = text or _("(the muse was silent this time — try /again)")
    lines = [body, "", *[n for n in notes if n], footer]
    return Reply("\n".join(lines), buttons=generation_buttons(generation_id), generation_id=generation_id)


def footer(row: Generation) -> str:
    form = row.params.get("form") if isinstance(row.params, dict) else None
    return f"#{row.id} · {row.model} v{row.model_version}" + (f" · {form}" if form else "")


async def make(ctx: Context, recipe: Recipe, notes: Sequence[str | None] = ()) -> Reply:
    outcome = await produce(ctx, recipe)
    row = await store(ctx, recipe, outcome)
    return show(row.id, row.text, footer(row), [*notes, ignored_note(outcome.dropped)])
