"""Focal points are their accounts; a first sign-in confirms time zone and language

A focal point's state is their account's member state: the copy focal_point.state_id, which only invited focal
points had, goes. Going back copies the account's state into it again (details of accounts that are no longer a
state's focal point have no state to copy, and are left out).

user_account.preferences_confirmed_at records when the owner confirmed time zone and language; every account
existing now confirms them at its next sign-in. Focal points still at the old default, UTC, are set to their
state's capital zone meanwhile, so that the page they confirm starts right; going back keeps those zones.

Revision ID: 64394e02f388
Revises: ac591b066ddb
Create Date: 2026-12-05 12:05:40.556388
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "64394e02f388"
down_revision: str | None = "ac591b066ddb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_focal_point_state_id"))
        batch_op.drop_constraint(batch_op.f("fk_focal_point_state_id_member_state"), type_="foreignkey")
        batch_op.drop_column("state_id")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preferences_confirmed_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    _focal_points_to_their_capitals_zone()


def _focal_points_to_their_capitals_zone() -> None:
    users = sa.table(
        "user_account",
        sa.column("id", sa.Integer()),
        sa.column("role", sa.String()),
        sa.column("member_state_id", sa.Integer()),
        sa.column("time_zone", sa.String()),
    )
    states = sa.table("member_state", sa.column("id", sa.Integer()), sa.column("time_zones", sa.JSON()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users.c.id, states.c.time_zones)
        .join(states, states.c.id == users.c.member_state_id)
        .where(users.c.role == "focal_point", users.c.time_zone == "UTC")
    ).all()
    for user_id, zones in rows:
        if zones:
            bind.execute(users.update().where(users.c.id == user_id).values(time_zone=zones[0]))


def downgrade() -> None:
    # Dropped in place: copying user_account, as a batch would on SQLite, is refused while rows refer to it.
    with op.batch_alter_table("user_account", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("preferences_confirmed_at")
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE focal_point SET state_id = "
        "(SELECT member_state_id FROM user_account WHERE user_account.id = focal_point.user_id)"
    )
    op.execute("DELETE FROM focal_point WHERE state_id IS NULL")
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.alter_column("state_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_focal_point_state_id_member_state"), "member_state", ["state_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_focal_point_state_id"), ["state_id"], unique=False)
