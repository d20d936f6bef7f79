"""Per-series reminder offsets: the days before each of its meetings that the meeting and written-update reminders
are sent; empty keeps the portal's (7 days and 1 day before).

Revision ID: c4e1a7d93b20
Revises: 5b7e2c91d4a0
Create Date: 2026-12-06 04:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e1a7d93b20"
down_revision: str | None = "5b7e2c91d4a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_days", sa.String(length=20), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("meeting_series", schema=None) as batch_op:
        batch_op.drop_column("reminder_days")
