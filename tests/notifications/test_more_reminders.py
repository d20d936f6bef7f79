"""The reminders added to the first three: written updates due before a meeting, and the overdue action items a
meeting reviews, listed to its coordinators. Each is decided in the recipient's morning, once, and counted at a real
SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.capacity.models import Need
from app.core.config import get_settings
from app.core.db import id_of
from app.governance import service as governance
from app.governance.models import Body
from app.meetings.models import Meeting, MeetingDocument, MeetingInvitee
from app.notifications.models import Notification, NotificationPreference
from app.training.models import Nomination
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
from tests.notifications.test_reminders import offer, travel
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


def invite_states(db: Session, planned: Meeting, *codes: str) -> None:
    for code in codes:
        db.add(MeetingInvitee(meeting_id=id_of(planned), state_id=id_of(state(db, code))))
    db.commit()


def post_update(db: Session, planned: Meeting, code: str) -> None:
    db.add(
        MeetingDocument(
            meeting_id=id_of(planned),
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


def test_requests_candidates_and_needs_waiting_remind_their_deciders_once_then_weekly(
    session: Session, smtp: SmtpServer
) -> None:
    settings = get_settings()
    coordinator = person(session, role="coordinator", zone="Pacific/Fiji")
    quiet = person(session, role="coordinator", zone="Pacific/Fiji")
    session.add(NotificationPreference(user_id=quiet.id, reminders_off="request need", updated_at=QUARTER))
    kiribati = person(session, code="KI", zone="Pacific/Tarawa")
    provider = person(session, code="AU", zone="Australia/Brisbane")
    fiji = person(session, code="FJ", zone="Pacific/Fiji", language="fr")
    body = session.exec(select(Body).where(Body.key == "sme")).one()
    asked = governance.request_membership(
        session, settings, user=kiribati, body=body, state=state(session, "KI"), action="join"
    )
    asked.at = datetime(2027, 3, 1, 2, tzinfo=UTC)
    session.add(asked)
    course = offer(session, deadline=date(2027, 4, 1))
    session.add(
        Nomination(
            offer_id=course.id,
            state_id=state(session, "WS").id,
            preference=1,
            full_name="Tavita Leota",
            gender="man",
            nominated_at=datetime(2027, 3, 2, tzinfo=UTC),
        )
    )
    need = Need(
        state_id=id_of(state(session, "FJ")),
        area="training",
        track="police",
        description="Search and rescue coordination course for the maritime police",
        priority="high",
        wanted_by=date(2027, 3, 8),
        created_at=QUARTER,
    )
    session.add(need)
    session.commit()

    travel(session, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC))
    travel(session, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC), timedelta(hours=5))
    deliver(session, smtp)

    def moments(user_id: int | None, kind: str) -> list[date]:
        notes = session.exec(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == kind, Notification.outcome == "queued")
            .order_by(col(Notification.id))
        ).all()
        local = [n.decided_at.astimezone(ZoneInfo(n_zone(user_id))) for n in notes]
        assert all(moment.hour == 8 for moment in local)
        return [moment.date() for moment in local]

    def n_zone(user_id: int | None) -> str:
        return {coordinator.id: "Pacific/Fiji", provider.id: "Australia/Brisbane", fiji.id: "Pacific/Fiji"}[user_id]

    # Asked at 02:00 UTC on 1 March: more than 3 days at 02:00 UTC on the 4th, 14:00 in Fiji; the next morning.
    assert moments(coordinator.id, "request_waiting") == [date(2027, 3, 5), date(2027, 3, 12), date(2027, 3, 19)]
    # Nominated at 00:00 UTC on 2 March: 10:00 in Brisbane on the 5th, so from the 6th.
    assert moments(provider.id, "candidates_waiting") == [date(2027, 3, 6), date(2027, 3, 13), date(2027, 3, 20)]
    assert moments(fiji.id, "need_waiting") == [date(2027, 3, 9), date(2027, 3, 16)]
    assert moments(coordinator.id, "need_waiting") == [date(2027, 3, 9), date(2027, 3, 16)]
    assert moments(kiribati.id, "request_waiting") == []

    subjects = [subject(m) for m in received(smtp, coordinator) if not subject(m).startswith("What changed")]
    assert subjects.count("Membership request waiting: Kiribati, Pacific Islands Chiefs of Police") in (0, 3)
    assert sum(s.startswith("Membership request waiting: Kiribati") for s in subjects) == 3
    assert sum(s.startswith("Need without support past its date") for s in subjects) == 2
    to_provider = [m for m in received(smtp, provider) if subject(m).startswith("Nominations waiting")]
    assert len(to_provider) == 3
    assert "1 candidate nominated for this offer has been waiting for a decision since 2 Mar 2027." in text_of(
        to_provider[0]
    )
    french = [m for m in received(smtp, fiji) if subject(m).startswith("Besoin")]
    assert len(french) == 2 and "aucun soutien" in text_of(french[0])
    assert all(not subject(m).startswith(("Membership", "Need")) for m in received(smtp, quiet))
    assert {n.outcome for n in session.exec(select(Notification).where(Notification.user_id == quiet.id)).all()} <= {
        "skipped"
    }
