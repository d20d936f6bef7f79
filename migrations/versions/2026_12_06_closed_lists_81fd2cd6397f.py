"""Statuses, kinds, roles and answers as closed lists: a CHECK constraint on each such column.

The lists are written out here as they stand at this revision (the models build theirs from their enums). A row
already holding a value outside its list stops the upgrade before anything is changed, with a message naming the
table, the column and the values found: no page knows how to show such a value, and guessing what it meant would
rewrite the network's records silently, so the rows are left for a person to correct.

On SQLite each table is copied to add its constraints; foreign keys are checked once, after every copy, because rows
of other tables refer to the copied ones.

Revision ID: 81fd2cd6397f
Revises: 75e105447594
Create Date: 2026-12-06 08:40:00.000000
"""

from collections.abc import Sequence

from app.core.list_migrations import Lists, add_checks, drop_checks

revision: str = "81fd2cd6397f"
down_revision: str | None = "75e105447594"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, allowed values), grouped by table; "" is allowed where a column is empty until something happens.
LISTS: Lists = (
    ("action_item", "status", ("open", "in_progress", "done", "dropped")),
    ("action_item_event", "status", ("open", "in_progress", "done", "dropped")),
    ("capacity_need", "status", ("open", "partly_met", "met", "withdrawn")),
    ("capacity_need_event", "status", ("open", "partly_met", "met", "withdrawn")),
    ("capacity_support", "kind", ("in_kind", "funding", "trainers", "course_places")),
    ("capacity_support", "status", ("planned", "under_way", "completed", "cancelled")),
    ("capacity_support_event", "status", ("planned", "under_way", "completed", "cancelled")),
    ("coalition", "status", ("active", "closed")),
    ("decision", "outcome", ("consensus", "reservations", "deferred", "withdrawn", "vote")),
    ("decision", "relation", ("", "amends", "supersedes")),
    ("decision", "status", ("in_force", "superseded", "deferred", "withdrawn")),
    ("decision_version", "kind", ("recorded", "corrected")),
    ("invitation", "answer", ("", "attending", "not_attending", "delegated")),
    ("library_document", "access", ("public", "members", "body", "chatham_house")),
    (
        "library_document",
        "kind",
        ("lesson_learned", "guidance_note", "written_update", "training_material", "public_summary"),
    ),
    ("meeting", "agenda_status", ("draft", "circulated", "final")),
    ("meeting", "status", ("scheduled", "cancelled")),
    (
        "membership_event",
        "kind",
        ("join_requested", "joined", "join_declined", "withdrawal_requested", "withdrawn", "withdrawal_declined"),
    ),
    ("nomination", "gender", ("woman", "man", "unspecified")),
    ("nomination", "outcome", ("", "completed", "not_completed", "passed", "not_passed")),
    ("nomination", "status", ("nominated", "accepted", "waitlisted", "declined", "withdrawn")),
    ("nomination_event", "outcome", ("", "completed", "not_completed", "passed", "not_passed")),
    (
        "nomination_event",
        "status",
        ("nominated", "accepted", "waitlisted", "declined", "withdrawn", "moved", "promoted", "erased"),
    ),
    ("notification", "outcome", ("queued", "skipped")),
    ("notification_preference", "digest", ("weekly", "daily", "never")),
    ("outbox_message", "status", ("pending", "sent", "failed")),
    ("training_offer", "status", ("draft", "published", "closed", "completed", "cancelled")),
    ("training_offer_event", "status", ("draft", "published", "closed", "completed", "cancelled")),
    ("user_account", "role", ("admin", "coordinator", "focal_point", "observer")),
)


def upgrade() -> None:
    add_checks(LISTS)


def downgrade() -> None:
    drop_checks(LISTS)
