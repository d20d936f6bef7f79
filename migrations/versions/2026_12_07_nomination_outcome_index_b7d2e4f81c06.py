"""Nominations indexed by outcome and state, so that the certified officers' page counts each state's SAAT passes
reading only the passes rather than every nomination ever made.

Revision ID: b7d2e4f81c06
Revises: 9e4a1c6b2d53
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d2e4f81c06"
down_revision: str | None = "9e4a1c6b2d53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_outcome_state_id"), ["outcome", "state_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_outcome_state_id"))
