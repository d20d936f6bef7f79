"""Answering from the invitation email.

- meeting_answer_link: the one-click links of an invitation email ("I will attend", "I will not attend"). Each link
  gives one answer, once, until the meeting ends or a newer email about the meeting replaces it; only the SHA-256 of
  its secret is kept.
- outbox_message.html: an HTML alternative to the plain text; a message that has one is sent as
  multipart/alternative. Existing messages have none and stay plain text.

Revision ID: 3c1e7a9b5d20
Revises: fd0a99dc7e69
Create Date: 2026-12-05 18:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "3c1e7a9b5d20"
down_revision: str | None = "fd0a99dc7e69"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_answer_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("reply", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitation.id"], name=op.f("fk_meeting_answer_link_invitation_id_invitation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_answer_link")),
    )
    with op.batch_alter_table("meeting_answer_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_answer_link_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_meeting_answer_link_invitation_id"), ["invitation_id"], unique=False)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("html")
    with op.batch_alter_table("meeting_answer_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_answer_link_invitation_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_answer_link_token_hash"))
    op.drop_table("meeting_answer_link")
