"""``bardling doctor`` and ``bardling health``: is this installation fit to run, and is it running?

``doctor`` checks what an operator would otherwise find out from a crash: settings, the database
and its migrations, every model (manifest, checksum, one real step on the provider it gets), the
GPU, and the tokens — whether they are set, never what they are. It changes nothing: it neither
migrates nor creates a database. Exit status 1 when any check fails; warnings do not fail.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cli.serve import TransportName, missing_token
from bot.config import Settings, describe_settings_error
from bot.engine.api import EngineError, GenerationRequest, ModelInfo, SamplingParams
from bot.observability import health as health_check
from bot.observability.logs import one_line
from bot.storage.database import masked_url, without_password

if TYPE_CHECKING:
    from bot.engine import Engine

Status = Literal["ok", "warn", "fail"]
TELEGRAM_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
DATABASE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def register(app: typer.Typer) -> None:
    app.command()(doctor)
    app.command()(health)


def doctor(
    transport: Annotated[
        list[TransportName] | None,
        typer.Option("--transport", "-t", help="Transports you will run: their tokens must be set."),
    ] = None,
) -> None:
    """Check settings, database, models, GPU and tokens; exit 1 if anything would stop the bot."""
    try:
        settings = Settings()
    except ValueError as err:
        _show([Check("configuration", "fail", describe_settings_error(err))])
        raise typer.Exit(1) from None
    checks = asyncio.run(run_checks(settings, transport or []))
    _show(checks)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


def health() -> None:
    """Ask the running bot's /healthz (BARDLING_METRICS_PORT); exit 0 only if it is healthy."""
    raise typer.Exit(health_check.main())


async def run_checks(settings: Settings, transports: list[TransportName]) -> list[Check]:
    checks = [configuration(settings), tokens(settings, transports), await database(settings)]
    model_checks, infos = await models(settings)
    return [*checks, *model_checks, gpu(settings, infos), corpora(settings)]


# --------------------------------------------------------------------------- the checks
def configuration(settings: Settings) -> Check:
    from bot.transports.discord import shard_problem

    problems = [p for p in (shard_problem(settings), _webhook_problem(settings)) if p]
    problems += _unwritable(settings.data_dir, "data dir")
    summary = f"data dir {settings.data_dir}, database {masked_url(settings.resolved_database_url)}"
    if problems:
        return Check("configuration", "fail", "; ".join(problems))
    return Check("configuration", "ok", f"{summary}, device {settings.device}")


def tokens(settings: Settings, transports: list[TransportName]) -> Check:
    """Set or not (never shown); a missing one fails only for a transport you said you will run."""
    if problem := missing_token(settings, transports):
        return Check("tokens", "fail", problem)
    states = []
    for label, secret in (("Telegram", settings.telegram_token), ("Discord", settings.discord_token)):
        value = secret.get_secret_value() if secret is not None else ""
        if not value.strip():
            states.append((label, "warn", "not set"))
        elif value != value.strip() or value[:1] in "\"'":
            states.append((label, "fail", "set, but with surrounding spaces or quotes"))
        elif label == "Telegram" and not TELEGRAM_TOKEN_SHAPE.fullmatch(value):
            states.append((label, "fail", "set, but not shaped like a bot token (digits:letters)"))
        else:
            states.append((label, "ok", "set"))
    worst: Status = "fail" if any(s == "fail" for _, s, _ in states) else "ok"
    if worst == "ok" and all(s == "warn" for _, s, _ in states):
        worst = "warn"
    return Check("tokens", worst, "; ".join(f"{label}: {text}" for label, _, text in states))


async def database(settings: Settings) -> Check:
    """Reachable, and where its schema stands against this version's migrations."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from bot.storage.database import create_engine, is_sqlite
    from bot.storage.migrate import alembic_config

    url = settings.resolved_database_url
    if is_sqlite(url) and (missing := _missing_file(url)):
        return Check("database", "warn", f"no database yet at {missing}: `bardling run` creates it")
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    engine = create_engine(url)
    damage = None
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S), engine.connect() as conn:
            current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
            if current == head:
                damage = await _unreadable(conn)
    except Exception as err:
        reason = without_password(one_line(err), url)
        return Check("database", "fail", f"cannot reach {masked_url(url)}: {reason}")
    finally:
        await engine.dispose()
    where = f"{engine.dialect.name} reachable"
    if damage:
        return Check("database", "fail", f"{where}, but its data cannot be read: {damage}")
    if current == head:
        return Check("database", "ok", f"{where}, migrations at head ({head})")
    if current is None:
        return Check("database", "warn", f"{where}, empty: `bardling run` creates the schema")
    known = {script.revision for script in scripts.walk_revisions()}
    if current in known:
        return Check("database", "warn", f"{where}, at {current}: `bardling run` migrates it to {head}")
    return Check("database", "fail", f"{where}, at revision {current}, unknown here (a newer Bardling's?)")


async def models(settings: Settings) -> tuple[list[Check], list[ModelInfo]]:
    """Each model's served version loads (checksum verified) and runs one step on its provider."""
    from bot.engine import Engine

    engine = Engine.from_settings(settings)
    try:
        try:
            await engine.start()
        except EngineError as err:
            return [Check("models", "fail", str(err))], []
        names = engine.registry.names()
        if not names:
            where = f"{settings.bundled_models_dir} or {settings.resolved_models_dir}"
            return [Check("models", "fail", f"no exported models in {where}")], []
        checks = [await _try_model(engine, name) for name in names]
        return [*checks, *_defaults_installed(settings, names)], engine.models()
    finally:
        await engine.close()


async def _try_model(engine: Engine, name: str) -> Check:
    try:
        await engine.generate(GenerationRequest(name, params=SamplingParams(max_tokens=1), rng_seed=0))
    except EngineError as err:
        return Check(f"model {name}", "fail", str(err))
    info = next(m for m in engine.models() if m.name == name)
    loss = info.metrics.get("val_loss")
    quality = f", validation loss {loss:.3f}" if isinstance(loss, float) else ""
    detail = f"version {info.version} on {info.provider}, checksum ok{quality}"
    if engine.manifest(name).content_sha256 is None:
        unsealed = "its manifest has no content checksum (re-export it)"
        return Check(f"model {name}", "warn", f"{detail}; {unsealed}")
    return Check(f"model {name}", "ok", detail)


def _defaults_installed(settings: Settings, names: list[str]) -> list[Check]:
    """The default models are installed (else /poem or /dinoname quietly use another one)."""
    missing = [
        f"BARDLING_{setting.upper()}={value} is not installed: another model of its kind serves instead"
        for setting, value in (
            ("default_poem_model", settings.default_poem_model),
            ("default_names_model", settings.default_names_model),
        )
        if value not in names
    ]
    return [Check("default models", "warn", "; ".join(missing))] if missing else []


def corpora(settings: Settings) -> Check:
    """Which named corpora a retraining run could use, and from where; nothing is read or fetched."""
    from artifact.corpora import CORPORA, availability

    where = {
        "local": "in BARDLING_CORPORA_DIR",
        "cached": "cached",
        "download": "downloaded on first use",
        "build": "built from its public source on first use",
        "missing": "not available (no address; put a verified copy in BARDLING_CORPORA_DIR)",
    }
    found: dict[str, list[str]] = {}
    for name, spec in CORPORA.items():
        state = availability(spec, corpora_dir=settings.corpora_dir, cache_dir=settings.corpus_cache_dir)
        found.setdefault(where[state], []).append(name)
    detail = "; ".join(f"{', '.join(names)}: {state}" for state, names in found.items())
    missing = [m for m in ("torch", "pooch") if importlib.util.find_spec(m) is None]
    if missing:
        extra = "retraining needs the train extra (pip install -e '.[train]'; missing " + ", ".join(missing)
        return Check("corpora", "warn", f"{extra}); {detail}")
    return Check("corpora", "ok", detail)


def gpu(settings: Settings, infos: list[ModelInfo]) -> Check:
    import onnxruntime as ort

    if settings.device == "cpu":
        return Check("gpu", "ok", "not wanted (BARDLING_DEVICE=cpu)")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        status: Status = "fail" if settings.device == "cuda" else "ok"
        return Check("gpu", status, f"this ONNX Runtime ({ort.__version__}) has no CUDA: serving on CPU")
    on_cuda = [m.name for m in infos if m.provider == "cuda"]
    card = _gpu_name()
    if on_cuda:
        return Check("gpu", "ok", f"{card or 'CUDA'} serves {', '.join(on_cuda)}")
    if settings.device == "cuda":
        return Check("gpu", "fail", "BARDLING_DEVICE=cuda, but no model could run on CUDA")
    if card is None:
        return Check("gpu", "ok", "no NVIDIA GPU visible: serving on CPU")
    return Check("gpu", "warn", f"{card} found, but CUDA could not run a model (CUDA 13 / cuDNN 9?): CPU")


# --------------------------------------------------------------------------- helpers
async def _unreadable(conn: AsyncConnection) -> str | None:
    """Why the tables cannot be read (a row of each, and SQLite's own page check), or None."""
    from bot.storage.store import PROBES

    try:
        for probe in PROBES:
            await conn.execute(probe)
        if conn.dialect.name == "sqlite":
            verdict = (await conn.exec_driver_sql("PRAGMA quick_check")).scalar()
            if verdict != "ok":
                return f"SQLite's check says: {str(verdict)[:200]}"
    except Exception as err:
        return one_line(err)
    return None


def _webhook_problem(settings: Settings) -> str | None:
    url = settings.telegram_webhook_url
    if url and not url.startswith("https://"):
        return "BARDLING_TELEGRAM_WEBHOOK_URL must be an https:// URL (Telegram posts only to HTTPS)"
    return None


def _missing_file(sqlite_url: str) -> str | None:
    path = make_url(sqlite_url).database
    return path if path and path != ":memory:" and not Path(path).exists() else None


def _unwritable(directory: Path, label: str) -> list[str]:
    existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK | os.X_OK):
        return [f"{label} {directory} is not writable by this user"]
    return []


def _gpu_name() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    names = [line.strip() for line in out.splitlines() if line.strip()]
    return ", ".join(names) or None


MARKS: dict[Status, str] = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def _show(checks: list[Check]) -> None:
    width = max(len(c.name) for c in checks)
    for c in checks:
        typer.echo(f"{MARKS[c.status]}  {c.name.ljust(width)}  {c.detail}")
    failures = sum(c.status == "fail" for c in checks)
    warnings = sum(c.status == "warn" for c in checks)
    typer.echo(f"\n{failures} failed, {warnings} warnings, {len(checks) - failures - warnings} ok")
