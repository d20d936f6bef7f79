"""Two real worker processes run the jobs for the same moments at once: every reminder reaches the SMTP server once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.core.db import make_engine
from app.notifications.models import JobRun
from tests.notifications.helpers import STARTS, deliver, invite, meeting, person, received, subject
from tests.outbox.conftest import SmtpServer
from tests.support.database import migrated
from tests.support.live import ROOT


@pytest.fixture(scope="module")
def workers_url(new_database: Callable[[str], str]) -> str:
    url = migrated(new_database("prcn_notify_workers"))
    subprocess.run(
        [sys.executable, "-m", "app", "seed"],
        env={**os.environ, "PRCN_DATABASE_URL": url},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


@pytest.fixture(scope="module")
def workers_engine(workers_url: str) -> Iterator[Engine]:
    engine = make_engine(workers_url)
    yield engine
    engine.dispose()


def two_workers_at(url: str, moment: datetime, workers: int = 2, **env: str) -> list[str]:
    """Starts `workers` `python -m app worker --once` processes for the same moment together; returns what they said."""
    env = {**os.environ, "PRCN_DATABASE_URL": url, **env}
    command = [sys.executable, "-m", "app", "worker", "--once", "--no-sender", "--at", moment.isoformat()]
    processes = [
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    said = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        said.append(out)
    return said


def test_two_workers_started_together_send_each_reminder_once(
    workers_url: str, workers_engine: Engine, smtp: SmtpServer
) -> None:
    with Session(workers_engine, expire_on_commit=False) as db:
        fiji = person(db, code="FJ", zone="Pacific/Fiji")
        vanuatu = person(db, code="VU", zone="Pacific/Efate", language="fr")
        invite(db, meeting(db, starts_at=STARTS), fiji, vanuatu)

    # Past both people's 7-day morning, then past their 1-day morning, each moment twice.
    for moment in (
        datetime(2027, 3, 3, 22, tzinfo=UTC),
        datetime(2027, 3, 3, 22, 1, tzinfo=UTC),
        datetime(2027, 3, 9, 22, tzinfo=UTC),
        datetime(2027, 3, 9, 22, 1, tzinfo=UTC),
    ):
        two_workers_at(workers_url, moment)

    with Session(workers_engine, expire_on_commit=False) as db:
        deliver(db, smtp)
        runs = db.exec(select(JobRun).where(JobRun.job == "meeting_reminders")).all()
    for user in (fiji, vanuatu):
        assert len(received(smtp, user)) == 2
    assert [subject(m) for m in received(smtp, fiji)] == [
        "Reminder: Maritime security working group, in 7 days",
        "Reminder: Maritime security working group, tomorrow",
    ]
    assert sum(run.sent for run in runs) == 4
    assert all(run.error == "" and run.failed == 0 for run in runs)


def test_a_worker_run_by_hand_says_what_it_left_for_the_next_run(workers_url: str, workers_engine: Engine) -> None:
    with Session(workers_engine, expire_on_commit=False) as db:
        people = [person(db, code=code, zone="Pacific/Fiji") for code in ("FJ", "TO", "WS")]
        invite(db, meeting(db, starts_at=STARTS), *people)

    # Past their 7-day morning: three reminders to send, one a run.
    moment = datetime(2027, 3, 3, 22, tzinfo=UTC)
    said = [two_workers_at(workers_url, moment, 1, PRCN_NOTIFICATIONS_PER_RUN="1")[0] for _ in range(3)]

    lines = [next(line for line in out.splitlines() if line.startswith("meeting_reminders:")) for out in said]
    assert lines == [
        "meeting_reminders: 1 sent, 0 skipped, 0 failed, 2 left for the next run",
        "meeting_reminders: 1 sent, 0 skipped, 0 failed, 1 left for the next run",
        "meeting_reminders: 1 sent, 0 skipped, 0 failed",
    ]
