"""Settings for every part of Bardling, read from ``BARDLING_*`` variables (and an optional TOML file).

One object, built once at start-up and passed down: modules never read the environment
themselves, so tests can run several differently-configured bots in one process.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from artifact.forms import LINE_CANDIDATES
from artifact.paths import default_data_dir
from bot.errors import first_line

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODELS_DIR = PROJECT_ROOT / "exported_models"
ADMIN_KEY = re.compile(r"(telegram|discord):[0-9]{1,20}|console:[A-Za-z0-9_.-]{1,64}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BARDLING_",
        extra="ignore",
        toml_file=os.environ.get("BARDLING_CONFIG_FILE", "bardling.toml"),
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite file under data_dir
    # put into database_url as its password, URL-encoded (compose passes POSTGRES_PASSWORD through as is)
    database_password: SecretStr | None = None
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"  # FULL: also survive power loss (fsync/write)
    models_dir: Path | None = None  # retrained versions; default: data_dir / "models"
    bundled_models_dir: Path = BUNDLED_MODELS_DIR
    corpora_dir: Path | None = None  # verified local copies of the named corpora
    device: Literal["auto", "cpu", "cuda"] = "auto"

    discord_token: SecretStr | None = None
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: Annotated[list[int] | None, NoDecode] = None  # "0,1" or a range "0-3"
    # Guild ids to sync the slash commands to (instant; for testing) instead of globally (up to an hour)
    discord_sync_guilds: Annotated[list[int], NoDecode] = Field(default_factory=list)
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)

    # "telegram:123", "discord:456", "console:local"; from the environment: comma-separated
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    rate_limit_per_minute: float = Field(default=10.0, gt=0)  # token-bucket refill
    rate_limit_burst: int = Field(default=5, ge=1)
    max_seed_chars: int = Field(default=500, ge=1)
    default_poem_model: str = "shakespeare"  # when absent, the first verse (then prose) model
    default_names_model: str = "dinos"  # when absent, the first names model
    forget_confirm_minutes: int = Field(default=5, ge=1)
    locale: str = ""  # the console's language (en, zh); empty: the environment's LANG

    engine_max_batch: int = Field(default=128, ge=1)
    line_candidates: int = Field(default=LINE_CANDIDATES, ge=1, le=16)
    engine_max_queue: int = Field(default=1024, ge=1)
    engine_threads: int = Field(default=0, ge=0)  # 0: sized to the machine

    # Retraining jobs (bot/jobs, docs/retraining.md)
    retrain_worker: bool = True  # run queued jobs in this process (one at a time per data dir)
    # a job still going after this is killed and fails
    retrain_time_limit_minutes: float = Field(default=120.0, gt=0)
    # nats/token a new version may lose to the served one and still go live
    retrain_tolerance: float = Field(default=0.02, ge=0)
    retrain_max_upload_bytes: int = Field(default=10_000_000, ge=1)  # corpus files attached to /retrain
    retrain_threads: int = Field(default=0, ge=0)  # PyTorch threads for training; 0: the trainer's default
    retrain_memory_mb: int = Field(default=0, ge=0)  # training's memory bound; 0: half this machine's
    # training runs at lower CPU priority so replies stay quick
    retrain_nice: int = Field(default=10, ge=0, le=19)
    retrain_command: list[str] = Field(default_factory=list)  # runs `train`/`export`; empty: bardling
    # how often a running job's progress and cancel flag are read
    retrain_poll_s: float = Field(default=1.0, gt=0)
    # how often the models dir's `active` files are checked for swaps elsewhere
    models_poll_s: float = Field(default=1.0, gt=0)
    # progress notices at most this often (and every 10 %)
    retrain_notice_every_s: float = Field(default=15.0, ge=0)

    # /healthz and /metrics; None: off; 0: any free port (logged)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"  # containers: 0.0.0.0, so Prometheus can reach it
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, with the request id

    @field_validator("admins", "discord_shard_ids", "discord_sync_guilds", mode="before")
    @classmethod
    def _split_csv(cls, value: Any, info: ValidationInfo) -> Any:
        """Lists come from the environment as ``a,b`` (or JSON); shard ids may name ranges (``0-3``)."""
        if isinstance(value, str):
            value = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
        if not isinstance(value, list):
            return value
        items = [v.strip() if isinstance(v, str) else v for v in value]
        items = [v for v in items if v != ""]
        if info.field_name == "discord_shard_ids":
            return [n for item in items for n in _shard_range(item)]
        return items

    @field_validator("admins")
    @classmethod
    def _admin_keys(cls, value: list[str]) -> list[str]:
        """Each admin is ``telegram:<digits>``, ``discord:<digits>`` or ``console:<name>``: a typo would
        otherwise silently leave the bot without its admin."""
        for key in value:
            if not ADMIN_KEY.fullmatch(key):
                shown = key if len(key) <= 40 else key[:40] + "…"
                raise ValueError(
                    f"{shown!r} is not an admin key (telegram:<user id>, discord:<user id> or console:local)"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    # ----------------------------------------------------------------- derived paths
    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'bardling.db'}"
        if self.database_password is None:
            return url
        password = self.database_password.get_secret_value()
        return make_url(url).set(password=password).render_as_string(hide_password=False)

    @property
    def retrain_memory_bytes(self) -> int:
        """What a training process may allocate: ``retrain_memory_mb``, or half the machine's memory."""
        if self.retrain_memory_mb:
            return self.retrain_memory_mb * 1_000_000
        try:
            physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return 0
        return max(physical // 2, 2_000_000_000)

    @property
    def console_history_file(self) -> Path:
        """The console's line history (what ``bardling chat`` users typed); ``/forget`` empties it."""
        return self.data_dir / "console_history"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def corpus_cache_dir(self) -> Path:
        return self.data_dir / "corpora"

    def is_admin(self, user_key: str) -> bool:
        return user_key in self.admins


def describe_settings_error(err: ValueError) -> str:
    """One line naming the setting at fault (pydantic lists every error; the first is enough).

    Never the value given: it may be a token.
    """
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
        return f"invalid setting BARDLING_{where.upper()}: {first['msg']}"
    cause = f" ({err.__cause__})" if err.__cause__ else ""
    return f"{first_line(err)}{cause}"


def _shard_range(item: Any) -> list[Any]:
    """``"2-4"`` → ``[2, 3, 4]``; anything else is left for validation."""
    first, dash, last = str(item).partition("-")
    if dash and first.strip().isdigit() and last.strip().isdigit():
        return list(range(int(first), int(last) + 1))
    return [item]
