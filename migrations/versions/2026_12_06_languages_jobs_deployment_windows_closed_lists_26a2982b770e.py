"""Languages, scheduled jobs and rapid-deployment windows as closed lists: a CHECK constraint on each, added as
revision 81fd2cd6397f added its own (stray values stop the upgrade before anything is changed). A pledge's window is
a whole number of days, so its list is written without quotes.

A support's currency stays a free string: funding takes any ISO 4217 code Babel knows, and that list grows with
Babel's releases.

Revision ID: 26a2982b770e
Revises: 08a2468b8aad
Create Date: 2026-12-06 17:50:00.000000
"""

from collections.abc import Sequence

from app.core.list_migrations import Lists, add_checks, drop_checks

revision: str = "26a2982b770e"
down_revision: str | None = "08a2468b8aad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGES = ("en", "fr")
JOBS = (
    "meeting_reminders",
    "nomination_reminders",
    "action_reminders",
    "update_reminders",
    "review_reminders",
    "waiting_reminders",
    "digests",
)

# Written out as they stand at this revision (the models build theirs from their enums, label dictionaries and
# tuples), grouped by table.
LISTS: Lists = (
    ("job_run", "job", JOBS),
    ("library_document", "language", LANGUAGES),
    ("notification", "job", JOBS),
    ("pledge", "deployment_days", (30, 60, 90)),
    ("user_account", "language", LANGUAGES),
)


def upgrade() -> None:
    add_checks(LISTS)


def downgrade() -> None:
    drop_checks(LISTS)
