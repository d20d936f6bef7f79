"""Nomination tallies for the training reports: one row per year of the course's first day, nominating state,
status and gender, counting the nominations (not withdrawn) of offers published, closed or completed. The portal
keeps them in step as nominations and offers change; this revision counts every year there is.

Revision ID: 5d0c3b9e7f21
Revises: 26a2982b770e
Create Date: 2026-12-06 21:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5d0c3b9e7f21"
down_revision: str | None = "26a2982b770e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("nominated", "accepted", "waitlisted", "declined", "withdrawn")
GENDERS = ("woman", "man", "unspecified")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    op.create_table(
        "nomination_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("nominations", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"status IN ({_listed(STATUSES)})", name=op.f("ck_nomination_tally_status")),
        sa.CheckConstraint(f"gender IN ({_listed(GENDERS)})", name=op.f("ck_nomination_tally_gender")),
        sa.ForeignKeyConstraint(
            ["state_id"], ["member_state.id"], name=op.f("fk_nomination_tally_state_id_member_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_tally")),
        sa.UniqueConstraint(
            "year", "state_id", "status", "gender", name="uq_nomination_tally_year_state_id_status_gender"
        ),
    )
    offer = sa.table("training_offer", sa.column("id"), sa.column("starts_on"), sa.column("status"))
    nomination = sa.table(
        "nomination", sa.column("offer_id"), sa.column("state_id"), sa.column("status"), sa.column("gender")
    )
    year = sa.cast(sa.extract("year", offer.c.starts_on), sa.Integer())
    counted = (
        sa.select(year, nomination.c.state_id, nomination.c.status, nomination.c.gender, sa.func.count())
        .select_from(nomination.join(offer, offer.c.id == nomination.c.offer_id))
        .where(offer.c.status.in_(("published", "closed", "completed")), nomination.c.status != "withdrawn")
        .group_by(year, nomination.c.state_id, nomination.c.status, nomination.c.gender)
    )
    tally = sa.table(
        "nomination_tally",
        sa.column("year"),
        sa.column("state_id"),
        sa.column("status"),
        sa.column("gender"),
        sa.column("nominations"),
    )
    op.execute(tally.insert().from_select(["year", "state_id", "status", "gender", "nominations"], counted))


def downgrade() -> None:
    op.drop_table("nomination_tally")
