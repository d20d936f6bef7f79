"""Two answers to one invitation sent at the same moment, each through its own connection, on PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app import seeds
from app.audit.models import AuditEntry
from app.auth.models import User
from app.core.config import get_settings
from app.core.db import make_engine
from app.meetings import service
from app.meetings.models import Invitation, Meeting
from tests.factories import make_user, state
from tests.support.database import migrated

pytestmark = pytest.mark.postgres_only

ANSWERS: list[tuple[str, dict[str, str]]] = [
    ("attending", {}),
    ("delegated", {"delegate_name": "Mele Tupou", "delegate_email": "mele.tupou@example.org"}),
]


@pytest.fixture(scope="module")
def engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    """A committed, migrated and seeded database of its own."""
    engine = make_engine(migrated(new_database("prcn_answers")))
    with Session(engine) as db:
        seeds.load(db, get_settings().seeds_dir)
    yield engine
    engine.dispose()


def invited_focal_point(engine: Engine) -> tuple[int, int]:
    """A meeting and a Fijian focal point invited to it, committed; returns their ids."""
    settings = get_settings()
    with Session(engine, expire_on_commit=False) as db:
        coordinator = make_user(db, role="coordinator", password=None)
        fiji = state(db, "FJ")
        focal = make_user(db, role="focal_point", member_state_id=fiji.id, password=None)
        meeting = service.create_meeting(
            db,
            settings,
            user=coordinator,
            form=service.MeetingForm(
                title="Quarterly SME meeting",
                day="2027-07-13",
                start="10:00",
                duration=120,
                host_zone="Pacific/Fiji",
                format="virtual",
                link="https://meet.example.org/sme",
                body_key="sme",
            ),
        )
        service.invite(db, settings, user=coordinator, meeting=meeting, state_ids=[fiji.id])  # type: ignore[list-item]
        return meeting.id, focal.id  # type: ignore[return-value]


def waiting_for_locks(engine: Engine) -> int:
    with engine.connect() as probe:
        return int(
            probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def test_two_answers_at_the_same_moment_leave_one_invitation_with_one_answer_and_no_error(engine: Engine) -> None:
    meeting_id, user_id = invited_focal_point(engine)
    errors: list[BaseException] = []
    ready = threading.Barrier(len(ANSWERS))

    def send(reply: str, delegate: dict[str, Any]) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                meeting, user = db.get(Meeting, meeting_id), db.get(User, user_id)
                assert meeting is not None and user is not None
                ready.wait(timeout=30)
                service.answer(db, user=user, meeting=meeting, reply=reply, **delegate)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    # Another transaction holds the invitation row, so both answers arrive while it is taken.
    with engine.connect() as holder:
        held = holder.begin()
        holder.execute(
            text("SELECT id FROM invitation WHERE meeting_id = :m AND user_id = :u FOR UPDATE"),
            {"m": meeting_id, "u": user_id},
        )
        threads = [threading.Thread(target=send, args=answer) for answer in ANSWERS]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while waiting_for_locks(engine) < len(ANSWERS) and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        both_waited = waiting_for_locks(engine) == len(ANSWERS)
        held.rollback()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert both_waited, "the two answers did not meet at the locked row"
    with Session(engine) as db:
        rows = db.exec(
            select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.user_id == user_id)
        ).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.answer, row.answered_at is not None) in {(reply, True) for reply, _ in ANSWERS}
        expected_delegate = dict(ANSWERS)[row.answer]
        assert (row.delegate_name, row.delegate_email) == (
            expected_delegate.get("delegate_name", ""),
            expected_delegate.get("delegate_email", ""),
        )
        trail = db.exec(
            select(AuditEntry)
            .where(
                AuditEntry.entity == "invitation", AuditEntry.action == "answer", AuditEntry.entity_id == str(row.id)
            )
            .order_by(col(AuditEntry.id))
        ).all()
    # Applied one after the other: the second answer replaced the first, which it saw.
    assert [entry.before for entry in trail] == [{"answer": ""}, {"answer": trail[0].after["answer"]}]  # type: ignore[index]
    assert trail[1].after["answer"] == row.answer  # type: ignore[index]
