"""A coordinator chooses a series' reminder days; its meetings' reminders follow them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from app.core.db import id_of
from app.meetings.models import MeetingSeries
from app.notifications.models import Notification
from tests.factories import csrf_token, sign_in, soup
from tests.notifications.helpers import QUARTER, STARTS, deliver, invite, meeting, person, received, subject
from tests.notifications.test_reminders import travel
from tests.outbox.conftest import SmtpServer


def series(db: Session, days: str = "") -> MeetingSeries:
    found = MeetingSeries(
        title_en="Maritime security working group",
        title_fr="Groupe de travail sur la sécurité maritime",
        cadence="custom",
        host_zone="Pacific/Fiji",
        local_start="10:00",
        duration_minutes=120,
        reminder_days=days,
        created_at=QUARTER,
    )
    db.add(found)
    db.commit()
    return found


def test_a_series_reminder_days_decide_when_its_meetings_remind_once(session: Session, smtp: SmtpServer) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    chosen = series(session, "14 3 0")
    planned = meeting(session, starts_at=STARTS, series_id=chosen.id)
    alone = meeting(session, starts_at=STARTS + timedelta(hours=1), title_en="One-off", created_at=QUARTER)
    invite(session, planned, fiji)
    invite(session, alone, fiji)

    travel(session, datetime(2027, 2, 20, tzinfo=UTC), STARTS + timedelta(hours=3))
    travel(session, datetime(2027, 2, 24, tzinfo=UTC), datetime(2027, 3, 10, 20, tzinfo=UTC), timedelta(hours=7))
    deliver(session, smtp)

    notes = session.exec(
        select(Notification)
        .where(Notification.user_id == fiji.id, Notification.object_id == planned.id)
        .where(col(Notification.kind).startswith("meeting"))
        .order_by(col(Notification.id))
    ).all()
    zone = ZoneInfo("Pacific/Fiji")
    local_start = STARTS.astimezone(zone).date()
    # The meeting starts at 10:00 in Fiji: the 0-day reminder's 08:00 comes before it.
    assert [(n.kind, n.outcome) for n in notes] == [
        ("meeting_14d", "queued"),
        ("meeting_3d", "queued"),
        ("meeting_0d", "queued"),
    ]
    assert [(n.decided_at.astimezone(zone).date(), n.decided_at.astimezone(zone).hour) for n in notes] == [
        (local_start - timedelta(days=14), 8),
        (local_start - timedelta(days=3), 8),
        (local_start, 8),
    ]
    subjects = [subject(m) for m in received(smtp, fiji)]
    assert subjects.count("Reminder: Maritime security working group, in 14 days") == 1
    assert subjects.count("Reminder: Maritime security working group, in 3 days") == 1
    assert subjects.count("Reminder: Maritime security working group, today") == 1
    assert subjects.count("Reminder: Maritime security working group, in 7 days") == 0
    # A meeting of no series keeps the portal's days.
    assert subjects.count("Reminder: One-off, in 7 days") == 1 and subjects.count("Reminder: One-off, tomorrow") == 1


def coordinator_on(client: Any, db: Session, language: str = "en") -> Any:
    user = person(db, role="coordinator", zone="Pacific/Fiji", language=language)
    sign_in(client, db, user)
    return user


def test_a_coordinator_sets_a_series_reminder_days_and_sees_them_after_reload(client: Any, session: Session) -> None:
    chosen = series(session)
    coordinator_on(client, session)
    path = f"/meetings/series/{chosen.id}/next"
    page = client.get(path)
    assert soup(page.text).select_one("#r-days")["value"] == ""
    saved = client.post(
        f"/meetings/series/{chosen.id}/reminders",
        data={"csrf_token": csrf_token(page.text), "reminder_days": "1, 10,7"},
    )
    assert saved.status_code == 303
    again = soup(client.get(saved.headers["location"]).text)
    assert again.select_one("#r-days")["value"] == "10, 7, 1"
    assert again.select_one("#reminders-saved").get_text(strip=True) == "The reminder days have been saved."
    session.refresh(chosen)
    assert chosen.reminder_offsets() == (10, 7, 1)


@pytest.mark.parametrize(
    ("value", "language", "message"),
    [
        ("7, 1, 3, 2", "en", "Give at most 3 reminder days, separated by commas, like 7, 1."),
        ("61", "en", "Reminder days are whole numbers of days from 0 to 60, separated by commas, like 7, 1."),
        ("-1", "en", "Reminder days are whole numbers of days from 0 to 60, separated by commas, like 7, 1."),
        (
            "seven",
            "fr",
            "Les jours de rappel sont des nombres entiers de 0 à 60, séparés par des virgules, comme 7, 1.",
        ),
        ("1.5", "en", "Reminder days are whole numbers of days from 0 to 60, separated by commas, like 7, 1."),
    ],
)
def test_bad_reminder_days_are_refused_in_the_users_language_and_change_nothing(
    client: Any, session: Session, value: str, language: str, message: str
) -> None:
    chosen = series(session, "5")
    coordinator_on(client, session, language)
    page = client.get(f"/meetings/series/{chosen.id}/next")
    refused = client.post(
        f"/meetings/series/{chosen.id}/reminders", data={"csrf_token": csrf_token(page.text), "reminder_days": value}
    )
    assert refused.status_code == 400
    shown = soup(refused.text)
    assert message in " ".join(shown.select_one("#reminders").get_text(" ", strip=True).split())
    assert shown.select_one("#r-days")["value"] == value
    session.refresh(chosen)
    assert chosen.reminder_days == "5"


def test_a_focal_point_may_not_set_reminder_days(client: Any, session: Session) -> None:
    chosen = series(session, "5")
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    sign_in(client, session, fiji)
    page = client.get("/dashboard")
    refused = client.post(
        f"/meetings/series/{chosen.id}/reminders", data={"csrf_token": csrf_token(page.text), "reminder_days": "1"}
    )
    assert refused.status_code == 403
    session.refresh(chosen)
    assert chosen.reminder_days == "5" and id_of(chosen)
