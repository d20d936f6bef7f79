"""The dashboard's "Waiting for you" lists what the reminders are about, with its count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.core import clock
from app.meetings.models import MeetingInvitee
from tests.factories import QueryLog, make_user, sign_in, soup, state
from tests.notifications.helpers import action_item, invite, meeting, person
from tests.notifications.test_reminders import offer


def test_a_focal_point_sees_the_meeting_the_deadline_and_the_overdue_item_waiting(
    client: Any, session: Session
) -> None:
    now = clock.now()
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


def test_the_navigation_counts_what_waits_in_one_query_and_anonymous_pages_count_nothing(
    client: Any, session: Session, engine: Any
) -> None:
    now = clock.now()
    fiji = person(session, code="FJ", zone="Pacific/Fiji")
    soon = meeting(session, starts_at=now + timedelta(days=3), created_at=now - timedelta(days=30), title_en="Soon")
    invite(session, soon, fiji)
    session.add(MeetingInvitee(meeting_id=soon.id, state_id=state(session, "FJ").id))
    session.commit()
    action_item(session, soon, code="FJ", due_on=(now - timedelta(days=3)).date(), created_at=now - timedelta(days=30))

    with QueryLog(engine) as anonymous:
        client.get("/")
    sign_in(client, session, fiji)
    dashboard = soup(client.get("/dashboard").text)
    listed = dashboard.select("#waiting-for-you li")
    assert [li.get_text(" ", strip=True).split(" — ")[0] for li in listed] == [
        "Meeting within 7 days: Soon",
        "Written update to post: Soon",
        "Action item: Share the patrol schedule with the secretariat",
    ]
    training = soup(client.get("/training").text)
    nav = training.select_one("#nav-waiting")
    assert nav is not None and nav.get_text(" ", strip=True) == "3 things waiting for you 3"
    # The count costs one query on a page that does not otherwise ask. The app here shares the test's session: each
    # counted request starts from an empty one, as in the portal, not from whatever the test happens to hold.
    session.expunge_all()
    with QueryLog(engine) as with_count:
        client.get("/account")
    fiji_none = person(session, code="TO", zone="Pacific/Tongatapu")
    sign_in(client, session, fiji_none)
    session.expunge_all()
    with QueryLog(engine) as without_items:
        page = client.get("/account")
    assert soup(page.text).select_one("#nav-waiting") is None
    assert len(with_count) == len(without_items)
    assert sum("UNION ALL" in statement for statement in with_count.statements) == 1
    assert not any("UNION ALL" in statement for statement in anonymous.statements)


def test_an_action_item_waiting_links_to_where_its_state_sees_and_updates_it(client: Any, session: Session) -> None:
    now = clock.now()
    tonga = person(session, code="TO", zone="Pacific/Tongatapu")
    # A meeting Tonga was not invited to, of no body it is a member of, raised an item for Tonga.
    raised = meeting(session, starts_at=now - timedelta(days=20), created_at=now - timedelta(days=30))
    item = action_item(session, raised, code="TO", due_on=(now - timedelta(days=2)).date())
    other = action_item(session, raised, code="FJ", due_on=(now - timedelta(days=2)).date())
    sign_in(client, session, tonga)

    link = soup(client.get("/dashboard").text).select_one('#waiting-for-you a[href*="#action-"]')
    assert link is not None
    path, _, anchor = str(link["href"]).partition("#")
    assert anchor == f"action-{item.id}"
    page = soup(client.get(path).text)
    row = page.select_one(f"#{anchor}")
    assert row is not None and row.select_one("select[name=status]") is not None
    assert page.select_one(f"#action-{other.id}") is None  # another state's item stays hidden


def test_a_coordinators_navigation_counts_every_overdue_item_of_the_network(client: Any, session: Session) -> None:
    now = clock.now()
    held = meeting(session, starts_at=now - timedelta(days=20), created_at=now - timedelta(days=40))
    for code in ("FJ", "WS", "TO"):
        action_item(
            session, held, code=code, due_on=(now - timedelta(days=5)).date(), created_at=now - timedelta(days=20)
        )
    action_item(session, held, code="FJ", due_on=(now + timedelta(days=30)).date(), created_at=now - timedelta(days=20))
    sign_in(client, session, make_user(session, role="coordinator"))

    nav = soup(client.get("/account").text).select_one("#nav-waiting")

    assert nav is not None and nav.get_text(" ", strip=True) == "3 things waiting for you 3"
