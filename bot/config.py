"""Settings for every part of Bardling, read from ``BARDLING_*`` variables (and an optional TOML file).

One object, built once at start-up and passed down: modules never read the environment
themselves, so tests can run several differently-configured bots in one process.
"""

from __future__ import annotations

import json
import os
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

from artifact.paths import default_data_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODELS_DIR = PROJECT_ROOT / "exported_models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BARDLING_",
        extra="ignore",
        toml_file=os.environ.get("BARDLING_CONFIG_FILE", "bardling.toml"),
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite file under data_dir
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"  # FULL: also survive power loss (fsync/write)
    models_dir: Path | None = None  # retrained versions; default: data_dir / "models"
    bundled_models_dir: Path = BUNDLED_MODELS_DIR
    corpora_dir: Path | None = None  # verified local copies of the named corpora
    device: Literal["auto", "cpu", "cuda"] = "auto"

    discord_token: SecretStr | None = None
    discord_shard_count: int | None = None
    discord_shard_ids: Annotated[list[int] | None, NoDecode] = None  # "0,1" or a range "0-3"
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443

    # "telegram:123", "discord:456", "console:local"; from the environment: comma-separated
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    rate_limit_per_minute: float = 10.0  # token-bucket refill
    rate_limit_burst: int = 5
    max_seed_chars: int = 500
    default_poem_model: str = "shakespeare"  # when absent, the first verse (then prose) model
    default_names_model: str = "dinos"  # when absent, the first names model
    forget_confirm_minutes: int = 5

    engine_max_batch: int = 64
    engine_max_queue: int = 1024
    engine_threads: int = 0  # 0: sized to the machine

    # Retraining jobs (bot/jobs, docs/retraining.md)
    retrain_worker: bool = True  # run queued jobs in this process (one at a time per data dir)
    retrain_time_limit_minutes: float = 120.0  # a job still going after this is killed and fails
    retrain_tolerance: float = 0.02  # nats/token a new version may lose to the served one and still go live
    retrain_max_upload_bytes: int = 10_000_000  # corpus files attached to /retrain
    retrain_threads: int = 0  # PyTorch threads for training; 0: the trainer's default
    retrain_nice: int = 10  # training runs at lower CPU priority so replies stay quick
    retrain_command: list[str] = Field(default_factory=list)  # runs `train`/`export`; empty: bardling
    retrain_poll_s: float = 1.0  # how often a running job's progress and cancel flag are read
    models_poll_s: float = 1.0  # how often the models dir's `active` files are checked for swaps elsewhere
    retrain_notice_every_s: float = 15.0  # progress notices at most this often (and every 10 %)

    metrics_port: int | None = None  # /healthz and /metrics; None: off; 0: any free port (logged)
    metrics_listen: str = "127.0.0.1"  # containers: 0.0.0.0, so Prometheus can reach it
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, with the request id

    @field_validator("admins", "discord_shard_ids", mode="before")
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
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'bardling.db'}"

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
    return f"{str(err).splitlines()[0]}{cause}"


def _shard_range(item: Any) -> list[Any]:
    """``"2-4"`` → ``[2, 3, 4]``; anything else is left for validation."""
    first, dash, last = str(item).partition("-")
    if dash and first.strip().isdigit() and last.strip().isdigit():
        return list(range(int(first), int(last) + 1))
    return [item]
