"""The admin's outbox page shows the scheduled jobs' last runs and the reminders they decided."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, func, select

from app.core.config import get_settings
from app.core.db import id_of
from app.notifications import service
from app.notifications.models import Job, Notification
from app.outbox.models import OutboxMessage
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
    assert rows["Meeting reminders"][3:] == ["1", "1", "0", "0"]
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


def test_a_run_decides_at_most_its_share_and_the_next_runs_decide_the_rest_once(client: Any, session: Session) -> None:
    """Five invitees each have a 1-day reminder to send and a 7-day one it overtook: ten decisions, three a run."""
    invitees = [person(session, code=code, zone="Pacific/Fiji") for code in ("FJ", "TO", "WS", "VU", "PG")]
    invite(session, meeting(session, starts_at=STARTS), *invitees)
    settings = get_settings().model_copy(update={"notifications_per_run": 3})
    moment = datetime(2027, 3, 9, 21, tzinfo=UTC)

    runs = [
        service.run_job(session, settings, Job.meeting_reminders, now=moment + timedelta(minutes=m)) for m in range(5)
    ]

    assert [(r.sent + r.skipped, r.deferred) for r in runs if r is not None] == [(3, 7), (3, 4), (3, 1), (1, 0), (0, 0)]
    notes = session.exec(select(Notification).where(Notification.job == "meeting_reminders")).all()
    assert Counter((n.user_id, n.kind, n.outcome) for n in notes) == Counter(
        [(u.id, "meeting_1d", "queued") for u in invitees] + [(u.id, "meeting_7d", "skipped") for u in invitees]
    )
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 5

    sign_in(client, session, make_user(session, role="admin"))
    rows = table(soup(client.get("/admin/outbox").text), "The last runs of each job").select("tbody tr")
    cells = [[td.get_text(strip=True) for td in row.select("td")] for row in rows]
    # The last three runs, newest first: decided (sent and skipped) and left for the next runs.
    mine = [(int(row[3]) + int(row[4]), row[6]) for row in cells if row[0] == "Meeting reminders"]
    assert mine == [(0, "0"), (1, "0"), (3, "1")]
