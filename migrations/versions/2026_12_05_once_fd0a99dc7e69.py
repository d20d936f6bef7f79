"""What exists once is stored once, also when two requests arrive at the same moment.

- membership_event gets `seq`, the place of each step in its (body, state) history (1, 2, …), unique per
  (body, state): a step is taken from the standing it follows, so two identical requests (or two answers to one
  request) made at once cannot both be recorded. The history stays appended: a state may ask again after a refusal,
  leave and join again, each step with the next number.
- coalition_partner gets two partial unique indexes: a partner state, or an organisation by its name, is a current
  partner (left_at IS NULL) of a coalition once; a partner that left may join again in a new row.

Existing duplicates are removed first, the earliest kept:
- a membership step repeated right after itself in the same history (asked to join twice with no answer between,
  joined twice, …) cannot happen in a correct history; the repeats are deleted. The audit log keeps an entry for each
  of them, so who made them and when stays on record.
- current partner rows repeating an earlier current row of the same coalition (same state, or same organisation
  name) are deleted; the earliest row, which shows when the partner joined, stays.

The downgrade removes the indexes and the column; the deleted duplicates do not come back.

Revision ID: fd0a99dc7e69
Revises: 64394e02f388
Create Date: 2026-12-05 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fd0a99dc7e69"
down_revision: str | None = "64394e02f388"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT_STATE = "left_at IS NULL AND partner_state_id IS NOT NULL"
CURRENT_ORGANISATION = "left_at IS NULL AND partner_state_id IS NULL"


def upgrade() -> None:
    op.execute(
        """
        DELETE FROM membership_event WHERE id IN (
            SELECT id FROM (
                SELECT id, kind, LAG(kind) OVER (PARTITION BY body_id, state_id ORDER BY at, id) AS previous
                FROM membership_event
            ) ordered
            WHERE kind = previous
        )
        """
    )
    with op.batch_alter_table("membership_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE membership_event SET seq = (
            SELECT numbered.step FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY body_id, state_id ORDER BY at, id) AS step
                FROM membership_event
            ) numbered
            WHERE numbered.id = membership_event.id
        )
        """
    )
    with op.batch_alter_table("membership_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
    op.create_index(
        "uq_membership_event_body_id_state_id_seq",
        "membership_event",
        ["body_id", "state_id", "seq"],
        unique=True,
    )

    # The earliest current row of each partner state, then of each organisation, stays.
    op.execute(
        """
        DELETE FROM coalition_partner WHERE id IN (
            SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY coalition_id, partner_state_id ORDER BY joined_at, id) AS n
                FROM coalition_partner
                WHERE left_at IS NULL AND partner_state_id IS NOT NULL
            ) ranked
            WHERE n > 1
        )
        """
    )
    op.execute(
        """
        DELETE FROM coalition_partner WHERE id IN (
            SELECT id FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY coalition_id, organisation ORDER BY joined_at, id) AS n
                FROM coalition_partner
                WHERE left_at IS NULL AND partner_state_id IS NULL
            ) ranked
            WHERE n > 1
        )
        """
    )
    op.create_index(
        "uq_coalition_partner_current_state",
        "coalition_partner",
        ["coalition_id", "partner_state_id"],
        unique=True,
        sqlite_where=sa.text(CURRENT_STATE),
        postgresql_where=sa.text(CURRENT_STATE),
    )
    op.create_index(
        "uq_coalition_partner_current_organisation",
        "coalition_partner",
        ["coalition_id", "organisation"],
        unique=True,
        sqlite_where=sa.text(CURRENT_ORGANISATION),
        postgresql_where=sa.text(CURRENT_ORGANISATION),
    )


def downgrade() -> None:
    op.drop_index("uq_coalition_partner_current_organisation", table_name="coalition_partner")
    op.drop_index("uq_coalition_partner_current_state", table_name="coalition_partner")
    op.drop_index("uq_membership_event_body_id_state_id_seq", table_name="membership_event")
    with op.batch_alter_table("membership_event", schema=None) as batch_op:
        batch_op.drop_column("seq")
