"""A job's runs that did nothing no longer pile up: an idle run takes the place of the job's latest run when that
one was idle too. This revision keeps, of the runs that did nothing, only each job's latest, and indexes runs by job
and id so that the admin's outbox page reads each job's last runs alone.

The idle runs removed said only that the worker ran at that minute; a downgrade restores the index, not them.

Revision ID: 9e4a1c6b2d53
Revises: 5d0c3b9e7f21
Create Date: 2026-12-07 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4a1c6b2d53"
down_revision: str | None = "5d0c3b9e7f21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    run = sa.table(
        "job_run",
        sa.column("id"),
        sa.column("job"),
        sa.column("sent"),
        sa.column("skipped"),
        sa.column("failed"),
        sa.column("error"),
    )
    latest = sa.select(sa.func.max(run.c.id)).group_by(run.c.job)
    op.execute(
        run.delete().where(
            run.c.sent == 0,
            run.c.skipped == 0,
            run.c.failed == 0,
            run.c.error == "",
            run.c.id.not_in(latest),
        )
    )
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_run_job"))
        batch_op.create_index(batch_op.f("ix_job_run_job_id"), ["job", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_run_job_id"))
        batch_op.create_index(batch_op.f("ix_job_run_job"), ["job"], unique=False)
