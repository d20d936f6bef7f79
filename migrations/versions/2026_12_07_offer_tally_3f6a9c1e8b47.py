"""Offer tallies for the training catalogue: one row per offer, nomination status and gender, counting its
nominations, so that the catalogue's shares of women sum a few rows per listed offer rather than every nomination.
The portal keeps them in step as nominations change; this revision counts every offer there is.

Revision ID: 3f6a9c1e8b47
Revises: d3a8f5c27e19
Create Date: 2026-12-07 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "3f6a9c1e8b47"
down_revision: str | None = "d3a8f5c27e19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("nominated", "accepted", "waitlisted", "declined", "withdrawn")
GENDERS = ("woman", "man", "unspecified")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    op.create_table(
        "offer_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("nominations", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"status IN ({_listed(STATUSES)})", name=op.f("ck_offer_tally_status")),
        sa.CheckConstraint(f"gender IN ({_listed(GENDERS)})", name=op.f("ck_offer_tally_gender")),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["training_offer.id"], name=op.f("fk_offer_tally_offer_id_training_offer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_tally")),
        sa.UniqueConstraint("offer_id", "status", "gender", name="uq_offer_tally_offer_id_status_gender"),
    )
    nomination = sa.table("nomination", sa.column("offer_id"), sa.column("status"), sa.column("gender"))
    counted = sa.select(nomination.c.offer_id, nomination.c.status, nomination.c.gender, sa.func.count()).group_by(
        nomination.c.offer_id, nomination.c.status, nomination.c.gender
    )
    tally = sa.table(
        "offer_tally", sa.column("offer_id"), sa.column("status"), sa.column("gender"), sa.column("nominations")
    )
    op.execute(tally.insert().from_select(["offer_id", "status", "gender", "nominations"], counted))


def downgrade() -> None:
    op.drop_table("offer_tally")
