"""Member states in full, bodies, voluntary membership, chairs, working groups, contributions and pledges.

Existing member states get defaults; `python -m app seed` fills in the seeded values.

Revision ID: 418c6426a958
Revises: 2d70397cdd6b
Create Date: 2026-11-22 20:54:54.253311
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "418c6426a958"
down_revision: str | None = "2d70397cdd6b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("parent_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("acronym", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("name_fr", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body")),
    )
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_body_key"), ["key"], unique=True)

    op.create_table(
        "option_switch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("option", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("previous", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_switch")),
    )
    op.create_table(
        "region_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("personnel", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_total")),
        sa.UniqueConstraint("as_of", name=op.f("uq_region_total_as_of")),
    )
    op.create_table(
        "working_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("lead_state_id", sa.Integer(), nullable=False),
        sa.Column("mandate", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_working_group_body_id_body")),
        sa.ForeignKeyConstraint(
            ["lead_state_id"], ["member_state.id"], name=op.f("fk_working_group_lead_state_id_member_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_group")),
    )
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_working_group_body_id"), ["body_id"], unique=False)

    op.create_table(
        "chair_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_chair_term_body_id_body")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_chair_term_recorded_by_user_account")
        ),
        sa.ForeignKeyConstraint(["state_id"], ["member_state.id"], name=op.f("fk_chair_term_state_id_member_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chair_term")),
    )
    with op.batch_alter_table("chair_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chair_term_body_id"), ["body_id"], unique=False)

    op.create_table(
        "contribution_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("men", sa.Integer(), nullable=False),
        sa.Column("women", sa.Integer(), nullable=False),
        sa.Column("unspecified", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("recorded_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_contribution_report_recorded_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["state_id"], ["member_state.id"], name=op.f("fk_contribution_report_state_id_member_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_report")),
    )
    with op.batch_alter_table("contribution_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_report_state_id"), ["state_id"], unique=False)

    op.create_table(
        "focal_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("portfolio", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(["state_id"], ["member_state.id"], name=op.f("fk_focal_point_state_id_member_state")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_focal_point_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focal_point")),
        sa.UniqueConstraint("user_id", name=op.f("uq_focal_point_user_id")),
    )
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_focal_point_state_id"), ["state_id"], unique=False)

    op.create_table(
        "membership_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_membership_event_body_id_body")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_membership_event_recorded_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["state_id"], ["member_state.id"], name=op.f("fk_membership_event_state_id_member_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_event")),
    )
    with op.batch_alter_table("membership_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_event_body_id"), ["body_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_event_state_id"), ["state_id"], unique=False)

    op.create_table(
        "pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("capability", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("personnel", sa.Integer(), nullable=False),
        sa.Column("readiness", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("deployment_days", sa.Integer(), nullable=False),
        sa.Column("recorded_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"], name=op.f("fk_pledge_recorded_by_user_account")),
        sa.ForeignKeyConstraint(["state_id"], ["member_state.id"], name=op.f("fk_pledge_state_id_member_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge")),
    )
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_state_id"), ["state_id"], unique=False)

    op.create_table(
        "working_group_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_working_group_event_recorded_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["state_id"], ["member_state.id"], name=op.f("fk_working_group_event_state_id_member_state")
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
            name=op.f("fk_working_group_event_working_group_id_working_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_group_event")),
    )
    with op.batch_alter_table("working_group_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_working_group_event_working_group_id"), ["working_group_id"], unique=False)

    with op.batch_alter_table("member_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "standing", sqlmodel.sql.sqltypes.AutoString(length=20), server_default="pif_member", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), server_default="state", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sovereign", sqlmodel.sql.sqltypes.AutoString(length=2), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("languages", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("time_zones", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("profile", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("edited_at", app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("edited_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member_state", schema=None) as batch_op:
        batch_op.drop_column("edited_by")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("profile")
        batch_op.drop_column("time_zones")
        batch_op.drop_column("languages")
        batch_op.drop_column("sovereign")
        batch_op.drop_column("status")
        batch_op.drop_column("standing")

    with op.batch_alter_table("working_group_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_event_working_group_id"))

    op.drop_table("working_group_event")
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_state_id"))

    op.drop_table("pledge")
    with op.batch_alter_table("membership_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_event_state_id"))
        batch_op.drop_index(batch_op.f("ix_membership_event_body_id"))

    op.drop_table("membership_event")
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_focal_point_state_id"))

    op.drop_table("focal_point")
    with op.batch_alter_table("contribution_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_report_state_id"))

    op.drop_table("contribution_report")
    with op.batch_alter_table("chair_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chair_term_body_id"))

    op.drop_table("chair_term")
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_body_id"))

    op.drop_table("working_group")
    op.drop_table("region_total")
    op.drop_table("option_switch")
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_body_key"))

    op.drop_table("body")
