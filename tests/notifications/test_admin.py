"""The admin's outbox page shows the scheduled jobs' last runs and the reminders they decided."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import id_of
from app.notifications import service
from app.notifications.models import Notification
from tests.factories import make_user, sign_in, soup
from tests.notifications.helpers import STARTS, invite, meeting, person


def table(page: Any, caption: str) -> Any:
    found = page.find("caption", string=caption)
    assert found is not None, f"no table {caption!r}"
    return found.parent


def test_the_outbox_page_lists_the_last_runs_and_the_reminders_sent_or_skipped(client: Any, session: Session) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    invite(session, meeting(session, starts_at=STARTS), fiji)
    service.run_due(session, get_settings(), now=datetime(2027, 3, 10, 10, tzinfo=UTC))
    sign_in(client, session, make_user(session, role="admin"))

    page = soup(client.get("/admin/outbox").text)

    runs = table(page, "The last runs of each job").select("tbody tr")
    rows = {
        row.select("td")[0].get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")] for row in runs
    }
    assert rows["Meeting reminders"][3:] == ["1", "1", "0"]
    assert set(rows) == {
        "Meeting reminders",
        "Nomination deadline reminders",
        "Action item reminders",
        "Written update reminders",
        "Overdue action items before a meeting",
        "Requests, nominations and needs waiting",
        "Digests",
    }
    reminders = [
        [td.get_text(strip=True) for td in row.select("td")]
        for row in table(page, "The newest reminders").select("tbody tr")
    ]
    mine = [row[1:] for row in reminders if row[2] == fiji.email and row[1] != "Digest"]
    assert mine == [["Meeting tomorrow", fiji.email, "Queued(late)"], ["Meeting in 7 days", fiji.email, "Skipped"]]
    link = table(page, "The newest reminders").find("a", string="Queued")
    assert link is not None and str(link["href"]).startswith("/admin/outbox/")
    assert client.get(str(link["href"])).status_code == 200


def test_reminders_on_a_series_own_days_are_named_by_their_days_in_the_admins_language(
    client: Any, session: Session
) -> None:
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    at = datetime(2027, 3, 10, 10, tzinfo=UTC)
    for kind, job in (
        ("meeting_14d", "meeting_reminders"),
        ("update_3d", "update_reminders"),
        ("meeting_0d", "meeting_reminders"),
    ):
        session.add(Notification(kind=kind, object_id=1, user_id=id_of(fiji), due_at=at, job=job, decided_at=at))
    session.commit()
    sign_in(client, session, make_user(session, role="admin", language="fr"))

    page = soup(client.get("/admin/outbox").text)

    rows = page.find("caption", string="Les rappels les plus récents").parent.select("tbody tr")
    assert {row.select("td")[1].get_text(strip=True) for row in rows} == {
        "Réunion dans 14 jours",
        "Contribution écrite, réunion dans 3 jours",
        "Réunion aujourd’hui",
    }
