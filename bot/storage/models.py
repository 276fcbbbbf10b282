"""The tables: users, their generations, favourites and settings, chat rules, training jobs, pending
confirmations.

Every generation keeps what reproduces it (model version, seed text, sampling parameters, RNG
seed). Deleting a user cascades to everything that is theirs, so ``/forget`` is one statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Ids are INTEGER columns: 32-bit on PostgreSQL. A number past this names no row on any backend, and
# is answered as such before it reaches the database (which would refuse it with an error).
MAX_ID = 2**31 - 1
# An id is never given out twice, not even after its row is deleted (``/forget``): old buttons and
# ``/show N`` in a group must not reach someone else's text. PostgreSQL's sequences never go back;
# SQLite needs AUTOINCREMENT for that (migration 0004).
NEVER_REUSED = {"sqlite_autoincrement": True}


def storable_id(value: int) -> bool:
    """Whether ``value`` can be the id of a row (1 ≤ value ≤ ``MAX_ID``)."""
    return 1 <= value <= MAX_ID


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive values and would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Generation(Base):
    __tablename__ = "generations"
    __table_args__ = (Index("ix_generations_user_id_id", "user_id", "id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(64), default="")
    command: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    seed_text: Mapped[str] = mapped_column(Text, default="")
    rng_seed: Mapped[int] = mapped_column(BigInteger)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    text: Mapped[str] = mapped_column(Text)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favourite(Base):
    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "generation_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    generation_id: Mapped[int] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Confirmation(Base):
    """An action a user asked for and must confirm in time (``/forget`` then ``/forget confirm``)."""

    __tablename__ = "confirmations"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    action: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column()


class Preferences(Base):
    """A user's own defaults for /poem (``/settings``); NULL: the bot's or the model's default."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str | None] = mapped_column(String(64), default=None)
    form: Mapped[str | None] = mapped_column(String(32), default=None)
    temperature: Mapped[float | None] = mapped_column(Float, default=None)
    length: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChatRule(Base):
    """What a chat's admins allow there (``/chat``): commands turned off, who may use the bot, a
    cooldown between generations. Keyed by ``platform:chat id`` (a Discord channel, a Telegram chat) or
    ``discord-guild:server id`` (a Discord server's rules, which its channels inherit)."""

    __tablename__ = "chat_rules"

    chat_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    # each None (NULL): not set for this chat, so its server's rule (or the default) holds
    disabled: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), default=None)  # command names
    admins_only: Mapped[bool | None] = mapped_column(Boolean, default=None)
    cooldown_s: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JobState(StrEnum):
    """Where a training job is; stored as its value. Those in ``FINAL_STATES`` never change again."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # the gate passed: the new version serves
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # trained, but the gate kept the served version


JOB_STATES = tuple(s.value for s in JobState)
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
FINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.REJECTED)


class TrainingJob(Base):
    __tablename__ = "training_jobs"
    __table_args__ = (Index("ix_training_jobs_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str | None] = mapped_column(String(96), default=None)  # user key or "cli"
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notify_platform: Mapped[str | None] = mapped_column(String(16), default=None)
    notify_chat_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    worker_id: Mapped[str | None] = mapped_column(String(128), default=None)  # the worker running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)  # touched while it runs
    # when its end was told to whoever asked for it; NULL while a finished job's news is still owed
    announced_at: Mapped[datetime | None] = mapped_column(default=None)
