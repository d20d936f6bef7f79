"""Support indexed by receiving state, area and status, in place of the receiving state alone: the deconfliction
view asks, for each need past its date, whether its state is supported in its area, and reads the answer from the
index rather than from each of the state's support records.

Revision ID: 8c1d5e3a9f60
Revises: 3f6a9c1e8b47
Create Date: 2026-12-07 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8c1d5e3a9f60"
down_revision: str | None = "3f6a9c1e8b47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("capacity_support", schema=None) as batch_op:
        batch_op.create_index(
            "ix_capacity_support_recipient_state_id_area_status", ["recipient_state_id", "area", "status"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_capacity_support_recipient_state_id"))


def downgrade() -> None:
    with op.batch_alter_table("capacity_support", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capacity_support_recipient_state_id"), ["recipient_state_id"], unique=False
        )
        batch_op.drop_index("ix_capacity_support_recipient_state_id_area_status")
