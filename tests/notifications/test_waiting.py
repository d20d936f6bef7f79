"""The dashboard's "Waiting for you" lists what the reminders are about, with its count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.db import utcnow
from tests.factories import sign_in, soup
from tests.notifications.helpers import action_item, invite, meeting, person
from tests.notifications.test_reminders import offer


def test_a_focal_point_sees_the_meeting_the_deadline_and_the_overdue_item_waiting(
    client: Any, session: Session
) -> None:
    now = utcnow()
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    soon = meeting(session, starts_at=now + timedelta(days=3), created_at=now - timedelta(days=30), title_en="Soon")
    declined = meeting(session, starts_at=now + timedelta(days=2), created_at=now, title_en="Declined")
    later = meeting(session, starts_at=now + timedelta(days=20), created_at=now, title_en="Later")
    invite(session, soon, fiji)
    invite(session, later, fiji)
    invite(session, declined, fiji, answer="not_attending")
    offer(session, deadline=(now + timedelta(days=5)).date())
    action_item(session, soon, code="FJ", due_on=(now - timedelta(days=3)).date(), created_at=now - timedelta(days=30))
    action_item(session, soon, code="TO", due_on=(now - timedelta(days=3)).date(), created_at=now - timedelta(days=30))
    sign_in(client, session, fiji)

    page = soup(client.get("/dashboard").text)

    section = page.select_one("#waiting-for-you")
    assert section is not None
    assert section.select_one("h2 .badge").get_text(strip=True) == "3"
    items = [li.get_text(" ", strip=True) for li in section.select("li")]
    assert [item.split(" — ")[0] for item in items] == [
        "Meeting within 7 days: Soon",
        "Nomination deadline: Maritime boarding officers course",
        "Action item: Share the patrol schedule with the secretariat",
    ]
    assert items[2].endswith("overdue")
    assert section.select_one('a[href^="/training/"]') is not None


def test_an_observer_with_nothing_due_reads_so(client: Any, session: Session) -> None:
    watcher = person(session, role="observer", zone="Pacific/Honolulu")
    sign_in(client, session, watcher)
    section = soup(client.get("/dashboard").text).select_one("#waiting-for-you")
    assert section is not None
    assert section.select_one("h2 .badge").get_text(strip=True) == "0"
    assert "Nothing is due within a week." in section.get_text()
