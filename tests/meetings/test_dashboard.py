"""The dashboard of each role: a focal point reads their state's action items; coordinators and admins read the
network's open action items and the membership requests waiting for their decision; observers, who have no state,
read neither."""

from __future__ import annotations

import pytest
from bs4 import Tag
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.models import User
from app.core.config import Settings
from app.governance import service as governance
from app.meetings import service
from tests.factories import QueryLog, make_user, sign_in, soup, state
from tests.meetings.conftest import Cast, MeetingFactory, sme


def section(page: Tag, heading: str) -> Tag | None:
    found = page.find(id=heading)
    return found.find_parent("section") if found is not None else None


def items(page: Tag, heading: str) -> list[str]:
    scope = section(page, heading)
    assert scope is not None, f"no section {heading}"
    return [" ".join(li.get_text(" ").split()) for li in scope.find_all("li")]


def board(client: TestClient, session: Session, user: User) -> Tag:
    sign_in(client, session, user)
    response = client.get("/dashboard")
    assert response.status_code == 200
    main = soup(response.text).main
    assert main is not None
    return main


@pytest.fixture
def action_items(session: Session, cast: Cast, make_meeting: MeetingFactory) -> None:
    """Open items for Fiji and Samoa, and one of Fiji's already done."""
    meeting = make_meeting()
    for code, text, due_on in (
        ("FJ", "Share the course outline", "2027-08-01"),
        ("WS", "Send the roster", "2027-07-20"),
    ):
        service.add_action_item(
            session,
            user=cast.coordinator,
            meeting=meeting,
            owner_state_id=cast.states[code].id,
            text=text,
            due_on=due_on,
        )
    done = service.add_action_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        owner_state_id=cast.states["FJ"].id,
        text="Done",
        due_on="2027-07-01",
    )
    service.change_action_item(session, user=cast.coordinator, meeting=meeting, item_id=done.id, status="done")


def test_a_focal_point_reads_their_states_action_items_only(
    client: TestClient, session: Session, cast: Cast, action_items: None
) -> None:
    page = board(client, session, cast.focal["FJ"])

    assert page.find(id="actions-heading").get_text(strip=True) == "Your state's action items"
    assert items(page, "actions-heading") == ["Share the course outline — due 1 Aug 2027 ( Quarterly SME meeting )"]
    assert section(page, "requests-heading") is None


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_read_the_networks_open_action_items_with_their_states(
    client: TestClient, session: Session, cast: Cast, action_items: None, role: str
) -> None:
    reader = cast.coordinator if role == "coordinator" else make_user(session, role="admin", password=None)

    page = board(client, session, reader)

    assert "Your state" not in page.get_text(" ")
    assert page.find(id="actions-heading").get_text(strip=True) == "Open action items of the network"
    assert items(page, "actions-heading") == [
        "Samoa: Send the roster — due 20 Jul 2027 ( Quarterly SME meeting )",
        "Fiji: Share the course outline — due 1 Aug 2027 ( Quarterly SME meeting )",
    ]


def test_an_observer_reads_no_action_items_and_no_requests(
    client: TestClient, session: Session, cast: Cast, action_items: None
) -> None:
    page = board(client, session, cast.observer)

    assert "Your state" not in page.get_text(" ")
    assert section(page, "actions-heading") is None
    assert section(page, "requests-heading") is None
    assert {"waiting-heading", "next-heading", "minutes-heading"} <= {h["id"] for h in page.find_all(["h2"])}


def test_a_coordinator_with_nothing_to_decide_is_told_so(client: TestClient, session: Session, cast: Cast) -> None:
    page = board(client, session, cast.coordinator)

    assert items(page, "requests-heading") == ["No request waits for a decision."]


def test_the_coordinators_dashboard_costs_the_same_queries_with_1_or_4_requests(
    client: TestClient, session: Session, engine: Engine, settings: Settings, cast: Cast
) -> None:
    sign_in(client, session, cast.coordinator)
    body = sme(session)
    for count, codes in ((1, ("TO",)), (4, ("VU", "KI", "NR"))):
        for code in codes:
            governance.request_membership(
                session, settings, user=cast.coordinator, body=body, state=state(session, code), action="join"
            )
        page = soup(client.get("/dashboard").text).main
        assert len(items(page, "requests-heading")) == count
        with QueryLog(engine) as log:
            client.get("/dashboard")
        if count == 1:
            with_one = len(log)
    assert len(log) == with_one
