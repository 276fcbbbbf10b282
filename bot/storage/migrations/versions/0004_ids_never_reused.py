"""Ids are never reused on SQLite (users, generations and favourites get AUTOINCREMENT), and a
job's end is announced even across a restart (``training_jobs.announced_at``).

Without it SQLite hands out the highest id again once its row is deleted (``/forget``), so an old
button or ``/show N`` in a group would reach another user's text. SQLite cannot add AUTOINCREMENT
to a table, so batch mode copies each into a new one (``bot.storage.migrate`` turns foreign-key
actions off meanwhile, so dropping the old copy cascades nothing). PostgreSQL's sequences never
go back: nothing to do there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "generations", "favourites")


def _copy(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _copy(True)
    with op.batch_alter_table("training_jobs") as batch_op:
        batch_op.add_column(sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True))
    # jobs that ended before this revision were announced then (or never will be): owe nothing
    op.execute("UPDATE training_jobs SET announced_at = finished_at WHERE finished_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("training_jobs") as batch_op:
        batch_op.drop_column("announced_at")
    _copy(False)
