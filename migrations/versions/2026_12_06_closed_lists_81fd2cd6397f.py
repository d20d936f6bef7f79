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

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision: str = "81fd2cd6397f"
down_revision: str | None = "75e105447594"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, allowed values), grouped by table; "" is allowed where a column is empty until something happens.
LISTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
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


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _refuse_values_outside_lists(bind: sa.Connection) -> None:
    """Stops the upgrade, naming every column that holds a value outside its list."""
    found = []
    for table, column, values in LISTS:
        held = sa.table(table, sa.column(column, sa.String())).c[column]
        strays = sorted(bind.execute(sa.select(held).distinct().where(held.not_in(values))).scalars())
        if strays:
            found.append(f"{table}.{column} holds {', '.join(map(repr, strays))} (allowed: {', '.join(values)})")
    if found:
        raise RuntimeError("Correct these rows, then migrate again: " + "; ".join(found))


@contextmanager
def _foreign_keys_checked_at_the_end(bind: sa.Connection) -> Iterator[None]:
    """On SQLite, turns foreign keys off while tables are copied (the pragma only changes between transactions),
    then checks every reference once and turns them back on."""
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"Rows refer to rows that no longer exist: {broken}")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    else:
        bind.exec_driver_sql("COMMIT")
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN")


def _by_table() -> Iterator[tuple[str, list[tuple[str, tuple[str, ...]]]]]:
    for table, rows in groupby(LISTS, key=lambda row: row[0]):
        yield table, [(column, values) for _, column, values in rows]


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_values_outside_lists(bind)
    with _foreign_keys_checked_at_the_end(bind):
        for table, columns in _by_table():
            with op.batch_alter_table(table) as batch:
                for column, values in columns:
                    batch.create_check_constraint(op.f(_name(table, column)), _condition(column, values))


def downgrade() -> None:
    with _foreign_keys_checked_at_the_end(op.get_bind()):
        for table, columns in _by_table():
            with op.batch_alter_table(table) as batch:
                for column, _ in columns:
                    batch.drop_constraint(op.f(_name(table, column)), type_="check")
