"""The reminders added to the first three: written updates due before a meeting, and the overdue action items a
meeting reviews, listed to its coordinators. Each is decided in the recipient's morning, once, and counted at a real
SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.db import id_of
from app.governance.models import Body
from app.meetings.models import MeetingDocument, MeetingInvitee
from app.notifications.models import Notification, NotificationPreference
from tests.factories import state
from tests.notifications.helpers import (
    QUARTER,
    STARTS,
    action_item,
    deliver,
    meeting,
    person,
    received,
    subject,
    text_of,
)
from tests.notifications.test_reminders import travel
from tests.outbox.conftest import SmtpServer


def kinds(db: Session, user_id: int | None, prefix: str) -> list[tuple[str, str]]:
    return [
        (n.kind, n.outcome)
        for n in db.exec(
            select(Notification)
            .where(Notification.user_id == user_id, col(Notification.kind).startswith(prefix))
            .order_by(col(Notification.id))
        ).all()
    ]


def invite_states(db: Session, planned: object, *codes: str) -> None:
    for code in codes:
        db.add(MeetingInvitee(meeting_id=id_of(planned), state_id=id_of(state(db, code))))  # type: ignore[arg-type]
    db.commit()


def post_update(db: Session, planned: object, code: str) -> None:
    db.add(
        MeetingDocument(
            meeting_id=id_of(planned),  # type: ignore[arg-type]
            state_id=id_of(state(db, code)),
            kind="written_update",
            filename="update.pdf",
            media_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_at=QUARTER,
        )
    )
    db.commit()


def test_written_updates_are_asked_of_invited_states_that_have_not_posted_7_days_and_1_day_before_once(
    session: Session, smtp: SmtpServer
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    vanuatu = person(session, code="VU", zone="Pacific/Efate", language="fr")
    tonga = person(session, code="TO", zone="Pacific/Tongatapu")  # posted its update
    samoa = person(session, code="WS", zone="Pacific/Apia")  # not invited
    quiet = person(session, code="FJ", zone="Pacific/Fiji")  # turned this kind off
    session.add(NotificationPreference(user_id=quiet.id, reminders_off="update", updated_at=QUARTER))
    planned = meeting(session, starts_at=STARTS)
    invite_states(session, planned, "FJ", "VU", "TO")
    post_update(session, planned, "TO")

    travel(session, datetime(2027, 3, 1, tzinfo=UTC), STARTS + timedelta(hours=3))
    # The same moments again, as a second worker or a retry would: nothing more.
    travel(session, datetime(2027, 3, 3, tzinfo=UTC), datetime(2027, 3, 10, 23, tzinfo=UTC), timedelta(hours=5))
    deliver(session, smtp)

    for user in (fiji, vanuatu):
        notes = session.exec(
            select(Notification)
            .where(Notification.user_id == user.id, col(Notification.kind).startswith("update"))
            .order_by(col(Notification.id))
        ).all()
        assert [(n.kind, n.outcome) for n in notes] == [("update_7d", "queued"), ("update_1d", "queued")]
        zone = ZoneInfo(user.time_zone)
        local_start = STARTS.astimezone(zone).date()
        assert [(n.decided_at.astimezone(zone).date(), n.decided_at.astimezone(zone).hour) for n in notes] == [
            (local_start - timedelta(days=7), 8),
            (local_start - timedelta(days=1), 8),
        ]
    updates = [m for m in received(smtp, fiji) if "Written update" in subject(m)]
    assert [subject(m) for m in updates] == [
        "Written update for Maritime security working group, in 7 days",
        "Written update for Maritime security working group, tomorrow",
    ]
    assert "Fiji has not posted its written update" in text_of(updates[0])
    french = [m for m in received(smtp, vanuatu) if "Contribution écrite" in subject(m)]
    assert len(french) == 2 and "Vanuatu n’a pas encore déposé sa contribution écrite" in text_of(french[0])
    assert received(smtp, tonga) == [] and received(smtp, samoa) == []
    assert kinds(session, quiet.id, "update") == [("update_7d", "skipped"), ("update_1d", "skipped")]
    assert received(smtp, quiet) == []


def test_a_written_update_posted_after_the_first_reminder_stops_the_second(session: Session, smtp: SmtpServer) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    planned = meeting(session, starts_at=STARTS)
    invite_states(session, planned, "FJ")
    travel(session, datetime(2027, 3, 3, 12, tzinfo=UTC), datetime(2027, 3, 4, 12, tzinfo=UTC))
    post_update(session, planned, "FJ")
    travel(session, datetime(2027, 3, 4, 12, tzinfo=UTC), STARTS + timedelta(hours=1))
    deliver(session, smtp)
    assert kinds(session, fiji.id, "update") == [("update_7d", "queued")]
    assert len(received(smtp, fiji)) == 1


def _body(db: Session) -> Body:
    found = db.exec(select(Body).where(Body.kind == "network").order_by(col(Body.id))).first()
    assert found is not None
    return found


def test_coordinators_get_the_overdue_action_items_a_meeting_reviews_once_7_days_before(
    session: Session, smtp: SmtpServer
) -> None:
    body = _body(session)
    coordinator = person(session, role="coordinator", zone="Pacific/Fiji")
    french = person(session, role="coordinator", zone="Pacific/Noumea", language="fr")
    quiet = person(session, role="coordinator", zone="Pacific/Fiji")
    session.add(NotificationPreference(user_id=quiet.id, reminders_off="review", updated_at=QUARTER))
    earlier = meeting(session, starts_at=QUARTER + timedelta(days=2), body_id=body.id)
    overdue = action_item(session, earlier, code="FJ", due_on=date(2027, 2, 20))
    action_item(session, earlier, code="TO", due_on=date(2027, 4, 1))  # not yet due: not listed
    done = action_item(session, earlier, code="WS", due_on=date(2027, 2, 10))
    done.status = "done"
    session.add(done)
    session.commit()
    nxt = meeting(session, starts_at=STARTS, body_id=body.id)
    # A meeting of another body reviews nothing of this one.
    meeting(session, starts_at=STARTS + timedelta(days=1), title_en="Other body", body_id=body.id + 1)

    travel(session, datetime(2027, 3, 1, tzinfo=UTC), STARTS + timedelta(hours=1))
    travel(session, datetime(2027, 3, 2, tzinfo=UTC), datetime(2027, 3, 5, tzinfo=UTC), timedelta(hours=4))
    deliver(session, smtp)

    notes = session.exec(select(Notification).where(Notification.kind == "review_7d")).all()
    assert sorted((n.user_id, n.object_id, n.outcome) for n in notes) == sorted(
        [(coordinator.id, nxt.id, "queued"), (french.id, nxt.id, "queued"), (quiet.id, nxt.id, "skipped")]
    )
    mine = next(n for n in notes if n.user_id == coordinator.id)
    local = mine.decided_at.astimezone(ZoneInfo("Pacific/Fiji"))
    assert (local.date(), local.hour) == (STARTS.astimezone(ZoneInfo("Pacific/Fiji")).date() - timedelta(days=7), 8)
    (only,) = received(smtp, coordinator)
    assert subject(only) == "1 overdue action item before Maritime security working group"
    body_text = text_of(only)
    assert overdue.text in body_text and "Fiji" in body_text and "Tonga" not in body_text
    (french_mail,) = received(smtp, french)
    assert subject(french_mail) == "1 action en retard avant Groupe de travail sur la sécurité maritime"
    assert received(smtp, quiet) == []
