"""``bardling poem`` and ``bardling dinoname``: generate from the shipped models on this machine.

Several results (``--count``) are requested concurrently, so they share the engine's batches;
result ``i`` uses RNG seed ``seed + i``. Plain output is the text on stdout with the seed on
stderr; ``--json`` prints one JSON object per result. Errors are one line on stderr, exit 2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any

import typer

from artifact.forms import FORMS
from artifact.sampling import MAX_TEMPERATURE, MAX_TOKENS, MIN_TEMPERATURE
from artifact.verse_form import as_lines
from bot.cli.settings_loader import load_settings
from bot.config import Settings
from bot.core.commands.generate import pick_form
from bot.core.errors import UserError
from bot.engine.api import EngineError, GenerationRequest, GenerationResult, ModelInfo, SamplingOverrides

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model name (default from settings).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="RNG seed; the same seed gives the same text.")]
TemperatureOpt = Annotated[
    float | None,
    typer.Option("--temperature", "-t", help=f"From {MIN_TEMPERATURE:g} to {MAX_TEMPERATURE:g}."),
]
TopKOpt = Annotated[int | None, typer.Option("--top-k", help="Sample among the k likeliest symbols.")]
TopPOpt = Annotated[float | None, typer.Option("--top-p", help="Nucleus sampling mass, in (0, 1].")]
LengthOpt = Annotated[
    int | None, typer.Option("--length", "-n", help=f"Most symbols to generate (1–{MAX_TOKENS}).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per result.")]
DeviceOpt = Annotated[str | None, typer.Option("--device", help="auto, cpu or cuda (default from settings).")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("poem")(poem)
    app.command("dinoname")(dinoname)


def poem(
    seed_text: Annotated[str, typer.Argument(help="Opening words the verse continues.")] = "",
    model: ModelOpt = None,
    seed: SeedOpt = None,
    temperature: TemperatureOpt = None,
    top_k: TopKOpt = None,
    top_p: TopPOpt = None,
    length: LengthOpt = None,
    lines: Annotated[int | None, typer.Option("--lines", help="Stop after this many lines.")] = None,
    count: Annotated[
        int, typer.Option("--count", "-c", min=1, max=1000, help="Poems, generated at once.")
    ] = 1,
    acrostic: Annotated[
        str | None, typer.Option("--acrostic", help="Chinese verse: 4 or 8 characters that start the lines.")
    ] = None,
    form: Annotated[
        str | None,
        typer.Option("--form", help=f"{', '.join(FORMS)} (default: the model's, as /poem)."),
    ] = None,
    chars: Annotated[
        int | None, typer.Option("--chars", help="Chinese verse: 5 or 7 characters a line.")
    ] = None,
    as_json: JsonOpt = False,
    stream: Annotated[bool, typer.Option("--stream", help="Print the verse as it is written.")] = False,
    device: DeviceOpt = None,
) -> None:
    """Verse continuing SEED_TEXT (Shakespeare's manner; a Chinese seed or --acrostic: Tang verse)."""
    if stream and (as_json or count > 1):
        _fail("--stream prints one poem as text: drop --json and --count")

    async def run(engine: Any, settings: Settings) -> None:
        name = model or _routed(engine.models(), settings.default_poem_model, seed_text, acrostic or "")
        params = _params(temperature, top_k, top_p, length, lines)
        base = _base_seed(seed)
        info = next((m for m in engine.models() if m.name == name), None)
        try:
            chosen = pick_form(info, form or "") if info is not None else form
        except UserError as err:
            _fail(str(err))
        requests = [
            GenerationRequest(name, seed_text, params, base + i, acrostic=acrostic, form=chosen, chars=chars)
            for i in range(count)
        ]
        if stream:
            await _stream(engine, requests[0])
            return
        results = await asyncio.gather(*(engine.generate(r) for r in requests))
        if not as_json:
            results = [replace(r, text=as_lines(r.text)) for r in results]
        _print(results, as_json=as_json, between="\n")

    _run(run, device)


def dinoname(
    prefix: Annotated[str, typer.Argument(help="How the names begin (optional).")] = "",
    model: ModelOpt = None,
    seed: SeedOpt = None,
    temperature: TemperatureOpt = None,
    top_k: TopKOpt = None,
    top_p: TopPOpt = None,
    length: LengthOpt = None,
    count: Annotated[int, typer.Option("--count", "-c", min=1, max=100, help="Distinct names.")] = 5,
    as_json: JsonOpt = False,
    device: DeviceOpt = None,
) -> None:
    """Invented dinosaur names, distinct within one answer."""
    from bot.engine.names import distinct_names

    async def run(engine: Any, settings: Settings) -> None:
        name = model or settings.default_names_model
        params = _params(temperature, top_k, top_p, length, None)
        request = GenerationRequest(name, prefix, params, _base_seed(seed))
        results = await distinct_names(engine, request, count)
        _print(results, as_json=as_json, between="")
        if len(results) < count:
            print(f"only {len(results)} distinct names came out; try another seed", file=sys.stderr)

    _run(run, device)


# --------------------------------------------------------------------- internals
def _params(
    temperature: float | None, top_k: int | None, top_p: float | None, length: int | None, lines: int | None
) -> SamplingOverrides:
    """The options given; the engine merges the model's defaults under them and checks the result."""
    return SamplingOverrides(
        temperature=temperature, top_k=top_k, top_p=top_p, max_tokens=length, max_lines=lines
    )


def _routed(models: list[ModelInfo], default: str, seed_text: str, acrostic: str) -> str:
    """The model ``/poem`` would pick for this seed text and acrostic when none is named."""
    from bot.core.commands.generate import route_poem

    preferred = next((m for m in models if m.name == default), None)
    return default if preferred is None else route_poem(models, preferred, seed_text, acrostic).name


def _base_seed(seed: int | None) -> int:
    from bot.engine.seeds import check_seed, draw_seed

    return check_seed(draw_seed() if seed is None else seed)


async def _stream(engine: Any, request: GenerationRequest) -> None:
    text_stream = engine.stream(request)
    started = False
    async for piece in text_stream:
        if not started:
            sys.stdout.write(text_stream.seen_text or "")
            started = True
        sys.stdout.write(piece)
        sys.stdout.flush()
    result = text_stream.result
    if result is not None:
        print(result.text if not started else "")
        _note(result)


def _print(results: list[GenerationResult], *, as_json: bool, between: str) -> None:
    """Texts on stdout (``between`` adds a separator line), and what reproduces each on stderr."""
    for i, result in enumerate(results):
        if as_json:
            print(json.dumps(_as_dict(result), ensure_ascii=False))
            continue
        print((between if i else "") + result.text)
        _note(result)


def _note(result: GenerationResult) -> None:
    note = f"{result.model} v{result.model_version} · seed {result.rng_seed}"
    if result.dropped:
        note += " · ignored: " + " ".join(sorted(set(result.dropped)))
    print(note, file=sys.stderr)


def _as_dict(result: GenerationResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "model": result.model,
        "model_version": result.model_version,
        "seed": result.rng_seed,
        "seed_text": result.seed_text,
        "params": result.params.to_dict(),
        "dropped": result.dropped,
        "tokens": result.tokens,
        "latency_s": round(result.latency_s, 4),
    }


def _run(body: Callable[[Any, Settings], Awaitable[None]], device: str | None) -> None:
    if device not in (None, "auto", "cpu", "cuda"):
        _fail(f"--device must be auto, cpu or cuda, not {device!r}")
    settings = load_settings(**({"device": device} if device else {}))

    async def main() -> None:
        from bot.engine import Engine

        async with Engine.from_settings(settings) as engine:
            await body(engine, settings)

    try:
        asyncio.run(main())
    except EngineError as err:
        _fail(str(err))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(2)
