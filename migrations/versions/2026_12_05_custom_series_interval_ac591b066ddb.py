"""Meeting series: a custom series may meet at a regular interval, every N weeks or months, from which its next
meeting is proposed; both columns stay empty for quarterly series and for custom series met irregularly.

Revision ID: ac591b066ddb
Revises: db57efe06394
Create Date: 2026-12-05 12:03:32.579675
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "ac591b066ddb"
down_revision: str | None = "db57efe06394"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeat_every", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("repeat_unit", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_series", schema=None) as batch_op:
        batch_op.drop_column("repeat_unit")
        batch_op.drop_column("repeat_every")
