"""The admin's outbox page shows the scheduled jobs' last runs and the reminders they decided."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.config import get_settings
from app.notifications import service
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
