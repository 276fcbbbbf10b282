"""A chat's rules may leave a field unset (NULL), so a Discord server's rules (a ``chat_rules`` row
keyed ``discord-guild:<id>``) hold there; a channel's own rules override them field by field.

Rows written before held the defaults where nothing was set; those become NULL, so they inherit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("disabled", sa.JSON()), ("admins_only", sa.Boolean()), ("cooldown_s", sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table("chat_rules") as batch_op:
        for name, kind in COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=True)
    op.execute("UPDATE chat_rules SET disabled = NULL WHERE CAST(disabled AS TEXT) = '[]'")
    op.execute("UPDATE chat_rules SET admins_only = NULL WHERE admins_only = false")
    op.execute("UPDATE chat_rules SET cooldown_s = NULL WHERE cooldown_s = 0")


def downgrade() -> None:
    op.execute("DELETE FROM chat_rules WHERE chat_key LIKE 'discord-guild:%'")
    op.execute(
        "UPDATE chat_rules SET disabled = '[]' WHERE disabled IS NULL OR CAST(disabled AS TEXT) = 'null'"
    )
    op.execute("UPDATE chat_rules SET admins_only = false WHERE admins_only IS NULL")
    op.execute("UPDATE chat_rules SET cooldown_s = 0 WHERE cooldown_s IS NULL")
    with op.batch_alter_table("chat_rules") as batch_op:
        for name, kind in COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=False)
