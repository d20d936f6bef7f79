"""Reminders travel through a quarter with the injected clock: each is decided in the recipient's morning, queued
once, and counted as it reaches a real SMTP server."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.notifications import service
from app.notifications.models import JobRun, Notification, NotificationPreference
from app.training.models import CourseType, Nomination, TrainingOffer
from tests.factories import state
from tests.notifications.helpers import (
    QUARTER,
    STARTS,
    action_item,
    deliver,
    invite,
    meeting,
    person,
    received,
    subject,
    text_of,
)
from tests.outbox.conftest import SmtpServer


def travel(db: Session, start: datetime, end: datetime, step: timedelta = timedelta(hours=1)) -> None:
    """Runs every job once an hour (the worker runs them every minute: the hour is enough to see the morning)."""
    settings = get_settings()
    moment = start
    while moment <= end:
        service.run_due(db, settings, now=moment)
        moment += step


def decided(db: Session, user_id: int | None) -> list[Notification]:
    """The reminders decided for the person (their digests, empty here and so skipped, aside)."""
    return list(
        db.exec(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind != "digest")
            .order_by(col(Notification.id))
        ).all()
    )


def test_meeting_reminders_reach_each_invitee_7_days_and_1_day_before_in_their_own_morning_once(
    session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    vanuatu = person(session, code="VU", zone="Pacific/Efate", language="fr")
    hawaii = person(session, role="observer", zone="Pacific/Honolulu")
    samoa = person(session, code="WS", zone="Pacific/Apia")
    planned = meeting(session, starts_at=STARTS)
    invite(session, planned, fiji, vanuatu, hawaii)
    invite(session, planned, samoa, answer="not_attending")

    travel(session, datetime(2027, 3, 1, tzinfo=UTC), STARTS + timedelta(hours=3))
    # The same moments again, as a second worker or a retry would: nothing new.
    travel(session, datetime(2027, 3, 3, 12, tzinfo=UTC), datetime(2027, 3, 10, 23, tzinfo=UTC), timedelta(hours=5))
    deliver(session, smtp)

    for user in (fiji, vanuatu, hawaii):
        notes = decided(session, user.id)
        assert [n.kind for n in notes] == ["meeting_7d", "meeting_1d"]
        zone = ZoneInfo(user.time_zone)
        local_start = STARTS.astimezone(zone).date()
        for note, days in zip(notes, (7, 1), strict=True):
            local = note.decided_at.astimezone(zone)
            assert (local.date(), local.hour) == (local_start - timedelta(days=days), 8)
            assert note.outcome == "queued" and not note.late
        mails = received(smtp, user)
        assert len(mails) == 2
    assert received(smtp, samoa) == []

    english = [subject(m) for m in received(smtp, fiji)]
    assert english == [
        "Reminder: Maritime security working group, in 7 days",
        "Reminder: Maritime security working group, tomorrow",
    ]
    french = received(smtp, vanuatu)
    assert subject(french[0]) == "Rappel : Groupe de travail sur la sécurité maritime, dans 7 jours"
    body = text_of(french[1])
    assert "jeudi 11 mars 2027" in body and "09:00" in body
    assert "/answer/" in body  # the one-click answers of the invitation
    assert "/answer/" in text_of(received(smtp, hawaii)[0])


def test_a_worker_down_for_days_sends_only_the_reminder_still_useful_late_once(
    session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    planned = meeting(session, starts_at=STARTS)
    invite(session, planned, fiji)

    # Down from 1 March to 10 March 10:00 UTC: the 7-day reminder is overtaken, the 1-day one is 14 hours late.
    back = datetime(2027, 3, 10, 10, tzinfo=UTC)
    service.run_due(session, get_settings(), now=back)
    service.run_due(session, get_settings(), now=back + timedelta(minutes=1))
    deliver(session, smtp)

    notes = decided(session, fiji.id)
    assert [(n.kind, n.outcome, n.late) for n in notes] == [
        ("meeting_7d", "skipped", False),
        ("meeting_1d", "queued", True),
    ]
    (only,) = received(smtp, fiji)
    assert "This reminder was due on 10 Mar 2027; it is sent late, once." in text_of(only)

    # After the meeting has started, nothing more is due.
    service.run_due(session, get_settings(), now=STARTS + timedelta(minutes=5))
    assert len(decided(session, fiji.id)) == 2


def test_a_meeting_planned_at_short_notice_gets_no_reminder_due_before_it_existed(session: Session) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    planned = meeting(session, starts_at=STARTS, created_at=datetime(2027, 3, 7, tzinfo=UTC))
    invite(session, planned, fiji)
    travel(session, datetime(2027, 3, 7, tzinfo=UTC), STARTS, timedelta(hours=2))
    assert [n.kind for n in decided(session, fiji.id)] == ["meeting_1d"]


def test_a_reminder_turned_off_is_not_sent(session: Session, smtp: SmtpServer) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    session.add(NotificationPreference(user_id=fiji.id, reminders_off="meeting", updated_at=QUARTER))
    planned = meeting(session, starts_at=STARTS)
    invite(session, planned, fiji)
    travel(session, datetime(2027, 3, 3, tzinfo=UTC), STARTS, timedelta(hours=3))
    deliver(session, smtp)
    assert {n.outcome for n in decided(session, fiji.id)} == {"skipped"}
    assert received(smtp, fiji) == []


def offer(session: Session, *, deadline: date, provider: str = "AU") -> TrainingOffer:
    course = session.exec(select(CourseType)).first()
    assert course is not None
    found = TrainingOffer(
        title="Maritime boarding officers course",
        course_type_id=course.id,
        track="police",
        provider_state_id=state(session, provider).id,
        starts_on=deadline + timedelta(days=30),
        ends_on=deadline + timedelta(days=35),
        languages="en",
        seats=12,
        seats_per_state=2,
        deadline_on=deadline,
        zone="Australia/Brisbane",
        status="published",
        created_at=QUARTER,
    )
    session.add(found)
    session.commit()
    return found


def test_nomination_deadline_reminds_states_that_nominated_no_one_7_and_2_days_before(
    session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji", language="fr")
    samoa = person(session, code="WS", zone="Pacific/Apia")
    provider = person(session, code="AU", zone="Australia/Brisbane")
    course = offer(session, deadline=date(2027, 3, 15))
    session.add(
        Nomination(
            offer_id=course.id,
            state_id=state(session, "WS").id,
            preference=1,
            full_name="Tavita Leota",
            gender="man",
            nominated_at=QUARTER,
        )
    )
    session.commit()

    travel(session, datetime(2027, 3, 7, tzinfo=UTC), datetime(2027, 3, 16, 12, tzinfo=UTC))
    deliver(session, smtp)

    notes = decided(session, fiji.id)
    assert [n.kind for n in notes] == ["nomination_7d", "nomination_2d"]
    assert [n.decided_at.astimezone(ZoneInfo("Pacific/Fiji")).replace(tzinfo=None) for n in notes] == [
        datetime(2027, 3, 8, 8),
        datetime(2027, 3, 13, 8),
    ]
    mails = received(smtp, fiji)
    assert [subject(m) for m in mails] == [
        "Date limite des candidatures le 15 mars 2027 : Maritime boarding officers course",
    ] * 2
    assert "Fidji n’a encore proposé personne" in text_of(mails[0])
    assert received(smtp, samoa) == []
    # The provider hears only of Samoa's candidate waiting for its decision (test_more_reminders), not of deadlines.
    assert all(subject(m).startswith("Nominations waiting for your decision") for m in received(smtp, provider))


def test_action_items_remind_the_owning_state_7_days_before_and_once_overdue(
    session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    tonga = person(session, code="TO", zone="Pacific/Tongatapu")
    raised = meeting(session, starts_at=QUARTER + timedelta(days=2), created_at=QUARTER)
    item = action_item(session, raised, code="FJ", due_on=date(2027, 3, 12))
    done = action_item(session, raised, code="TO", due_on=date(2027, 3, 12))
    done.status = "done"
    session.add(done)
    session.commit()

    travel(session, datetime(2027, 3, 4, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC), timedelta(hours=1))
    deliver(session, smtp)

    notes = decided(session, fiji.id)
    assert [(n.kind, n.object_id) for n in notes] == [("action_7d", item.id), ("action_overdue", item.id)]
    # Beside the reminders, the weekly digests list the item as waiting (tested in test_digest).
    subjects = [subject(m) for m in received(smtp, fiji) if not subject(m).startswith("What changed")]
    assert subjects == [
        "Action item due 12 Mar 2027: Share the patrol schedule with the secretariat",
        "Overdue action item: Share the patrol schedule with the secretariat",
    ]
    assert received(smtp, tonga) == []


def test_each_run_is_recorded_with_its_counts(session: Session) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    invite(session, meeting(session, starts_at=STARTS), fiji)
    moment = datetime(2027, 3, 9, 21, tzinfo=UTC)
    service.run_due(session, get_settings(), now=moment)
    runs = session.exec(select(JobRun).where(JobRun.clock == moment)).all()
    assert Counter(r.job for r in runs) == Counter(list(service.jobs()))
    meeting_run = next(r for r in runs if r.job == "meeting_reminders")
    assert (meeting_run.sent, meeting_run.skipped, meeting_run.failed, meeting_run.error) == (1, 1, 0, "")
    assert meeting_run.finished_at is not None


def test_a_job_idle_minute_after_minute_keeps_one_run_beside_the_runs_that_did_something(session: Session) -> None:
    settings = get_settings()
    tuesday = datetime(2027, 3, 2, 0, tzinfo=UTC)
    for minute in range(30):
        service.run_due(session, settings, now=tuesday + timedelta(minutes=minute))

    idle = session.exec(select(JobRun).where(JobRun.clock >= tuesday)).all()
    assert Counter(run.job for run in idle) == Counter(list(service.jobs()))
    assert {run.clock for run in idle} == {tuesday + timedelta(minutes=29)}

    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    invite(session, meeting(session, starts_at=STARTS), fiji)
    busy = datetime(2027, 3, 9, 21, tzinfo=UTC)
    for minute in range(6):
        service.run_due(session, settings, now=busy + timedelta(minutes=minute))

    latest = [run for run in service.last_runs(session) if run.job == "meeting_reminders"]
    assert [(run.clock, run.sent, run.skipped) for run in latest] == [
        (busy + timedelta(minutes=5), 0, 0),
        (busy, 1, 1),
        (tuesday + timedelta(minutes=29), 0, 0),
    ]
