"""Kinds, purposes, parts, formats and cadences as closed lists: a CHECK constraint on each, added as revision
81fd2cd6397f added its own (stray values stop the upgrade before anything is changed).

The notification kind stays a free string: a series chooses its reminder days, so a kind carries any offset
("meeting_14d").

Revision ID: 7471a11c4eb7
Revises: 81fd2cd6397f
Create Date: 2026-12-06 11:10:00.000000
"""

from collections.abc import Sequence

from app.core.list_migrations import Lists, add_checks, drop_checks

revision: str = "7471a11c4eb7"
down_revision: str | None = "81fd2cd6397f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out as they stand at this revision (the models build theirs from their enums), grouped by table.
LISTS: Lists = (
    ("agenda_item", "part", ("members", "observers")),
    ("body", "kind", ("regional", "network")),
    ("decision", "part", ("members", "observers")),
    ("invitation", "part", ("members", "observers")),
    ("meeting", "format", ("in_person", "virtual", "hybrid")),
    ("meeting_answer_link", "reply", ("attending", "not_attending", "delegated")),
    ("meeting_document", "kind", ("attachment", "written_update")),
    ("meeting_document", "part", ("members", "observers")),
    ("meeting_invitee", "part", ("members", "observers")),
    ("meeting_series", "cadence", ("quarterly", "custom")),
    ("meeting_series", "repeat_unit", ("weeks", "months")),
    ("one_time_token", "purpose", ("reset", "signin", "invite")),
    ("sign_in_failure", "kind", ("account", "address", "reset:acct", "reset:addr")),
    ("webauthn_challenge", "purpose", ("register", "second_factor", "sign_in")),
    ("working_group_event", "kind", ("added", "removed")),
)


def upgrade() -> None:
    add_checks(LISTS)


def downgrade() -> None:
    drop_checks(LISTS)
