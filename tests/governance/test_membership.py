"""Voluntary membership (a focal point asks for their own state, a coordinator confirms), its appended history,
and the chair rotation of network bodies."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.errors import Conflict, DomainError, Forbidden
from app.core.web import local_date
from app.governance import service as governance
from app.governance.models import ChairTerm, MembershipEvent
from tests.factories import csrf_token, soup, state
from tests.governance.conftest import People, alert, body, settings_for
from tests.support.portal import Portal


def recorded(session: Session) -> list[tuple[Any, ...]]:
    """Every membership event as stored, oldest first."""
    return [
        (e.id, e.body_id, e.state_id, e.kind, e.at, e.recorded_by, e.note)
        for e in session.exec(select(MembershipEvent).order_by(col(MembershipEvent.id))).all()
    ]


def chair_terms(session: Session) -> list[tuple[Any, ...]]:
    return [tuple(term.model_dump().values()) for term in session.exec(select(ChairTerm).order_by(ChairTerm.id))]


def post_form(browser: TestClient, page: str, target: str, /, **fields: Any) -> Any:
    """Submits a form of `page` (GET first, for its CSRF token) to `target`."""
    return browser.post(target, data={"csrf_token": csrf_token(browser.get(page).text), **fields})


def history_rows(html: str) -> list[list[str]]:
    table = soup(html).find(id="history-heading").parent.find("table")
    return [[cell.get_text(strip=True) for cell in row.find_all("td")] for row in table.select("tbody tr")]


def member_rows(html: str) -> dict[str, str]:
    table = soup(html).find(id="members-heading").parent.find("table")
    return {row.th.get_text(strip=True): row.td.get_text(strip=True) for row in table.select("tbody tr") if row.th}


def test_focal_point_asks_to_join_and_a_coordinator_confirms(session: Session, people: People, portal: Portal) -> None:
    portal.run("adhoc")
    fiji = portal.client(people.fiji)
    coordinator = portal.client(people.coordinator)
    page = fiji.get("/bodies/adhoc-network")
    assert soup(page.text).find("button", string="Ask to join") is not None

    asked = post_form(
        fiji,
        "/bodies/adhoc-network",
        "/bodies/adhoc-network/requests",
        action="join",
        note="Cabinet approved on 3 March",
    )

    assert asked.status_code == 303
    assert asked.headers["location"] == "/bodies/adhoc-network?notice=requested"
    waiting = soup(fiji.get("/bodies/adhoc-network").text).find(id="own-heading").parent.get_text(" ", strip=True)
    assert "Your request is waiting for a coordinator: asked to join" in waiting
    pending = soup(coordinator.get("/bodies").text).find(id="pending-heading").parent.get_text(" ", strip=True)
    assert "Fiji — asked to join" in pending
    request = session.exec(select(MembershipEvent).order_by(col(MembershipEvent.id).desc())).first()
    assert (request.kind, request.recorded_by, request.note) == (
        "join_requested",
        people.fiji.id,
        "Cabinet approved on 3 March",
    )

    confirmed = post_form(
        coordinator,
        "/bodies/adhoc-network",
        f"/membership-requests/{request.id}",
        decision="accept",
        note="Welcomed at the SME meeting",
    )

    assert confirmed.status_code == 303
    joined = session.exec(select(MembershipEvent).order_by(col(MembershipEvent.id).desc())).first()
    assert (joined.kind, joined.recorded_by, joined.note) == (
        "joined",
        people.coordinator.id,
        "Welcomed at the SME meeting",
    )
    page = fiji.get("/bodies/adhoc-network").text
    assert member_rows(page) == {"Fiji": local_date(joined.at, people.fiji.time_zone)}
    assert soup(page).find("button", string="Ask to withdraw") is not None
    assert "Fiji — asked to join" not in soup(coordinator.get("/bodies").text).get_text(" ", strip=True)


def test_withdrawal_is_asked_and_confirmed_and_the_whole_story_is_kept(
    session: Session, people: People, portal: Portal
) -> None:
    portal.run("informal")
    fiji = portal.client(people.fiji)
    coordinator = portal.client(people.coordinator)
    snapshots = [recorded(session)]
    steps = [
        (fiji, "/bodies/sme/requests", {"action": "join", "note": "First request"}),
        (coordinator, "confirm", {"decision": "accept", "note": "Confirmed"}),
        (fiji, "/bodies/sme/requests", {"action": "withdraw", "note": "Budget constraints"}),
        (coordinator, "confirm", {"decision": "accept", "note": "Noted with regret"}),
    ]
    for browser, action, fields in steps:
        if action == "confirm":
            action = f"/membership-requests/{recorded(session)[-1][0]}"
        response = post_form(browser, "/bodies/sme", action, **fields)
        assert response.status_code == 303, alert(response.text)
        now = recorded(session)
        assert now[: len(snapshots[-1])] == snapshots[-1], "an earlier event was changed or removed"
        assert len(now) == len(snapshots[-1]) + 1
        snapshots.append(now)

    sme, fj = body(session, "sme"), state(session, "FJ")
    mine = [row for row in recorded(session) if row[1:3] == (sme.id, fj.id)]
    assert [row[3] for row in mine] == ["join_requested", "joined", "withdrawal_requested", "withdrawn"]
    page = coordinator.get("/bodies/sme").text
    assert "Fiji" not in member_rows(page)
    rows = history_rows(page)
    assert [(r[1], r[2], r[3], r[4]) for r in rows[:4]] == [
        ("Fiji", "withdrew", "Colin Coordinator", "Noted with regret"),
        ("Fiji", "asked to withdraw", "Fiji Focal", "Budget constraints"),
        ("Fiji", "joined", "Colin Coordinator", "Confirmed"),
        ("Fiji", "asked to join", "Fiji Focal", "First request"),
    ]
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC", r[0]) for r in rows[:4]), (
        "each change shows when"
    )
    assert soup(fiji.get("/bodies/sme").text).find("button", string="Ask to join") is not None


def test_declined_request_leaves_the_state_outside_and_can_be_asked_again(
    session: Session, people: People, portal: Portal
) -> None:
    settings = settings_for("operational")
    group, fiji = body(session, "spdmm-group"), state(session, "FJ")
    request = governance.request_membership(session, settings, user=people.fiji, body=group, state=fiji, action="join")
    declined = governance.decide(
        session,
        settings,
        user=people.coordinator,
        event_id=request.id,
        accept=False,
        note="Military track only for states with armed forces",
    )
    assert declined.kind == "join_declined"
    standing = governance.memberships(session, body_id=group.id)[(group.id, fiji.id)]
    assert not standing.is_member and not standing.pending and standing.since is None
    with pytest.raises(Conflict, match="answered already"):
        governance.decide(session, settings, user=people.coordinator, event_id=request.id, accept=True)
    again = governance.request_membership(session, settings, user=people.fiji, body=group, state=fiji, action="join")
    assert again.kind == "join_requested"


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ([("join", None)], "join", "A request for this state is already waiting for confirmation."),
        ([("join", True)], "join", "This state is already a member."),
        ([], "withdraw", "This state is not a member, so it cannot withdraw."),
        (
            [("join", True), ("withdraw", None)],
            "withdraw",
            "A request for this state is already waiting for confirmation.",
        ),
    ],
)
def test_request_that_makes_no_sense_is_explained_and_changes_nothing(
    session: Session, people: People, portal: Portal, setup: list[tuple[str, bool | None]], action: str, message: str
) -> None:
    settings = portal.run("informal")
    sme, fj = body(session, "sme"), state(session, "FJ")
    for step, accept in setup:
        event = governance.request_membership(session, settings, user=people.fiji, body=sme, state=fj, action=step)
        if accept is not None:
            governance.decide(session, settings, user=people.coordinator, event_id=event.id, accept=accept)
    before = recorded(session)
    fiji = portal.client(people.fiji)

    response = post_form(fiji, "/bodies/sme", "/bodies/sme/requests", action=action)

    assert response.status_code == 409
    assert alert(response.text) == message
    assert recorded(session) == before
    with pytest.raises(Conflict):
        governance.request_membership(session, settings, user=people.fiji, body=sme, state=fj, action=action)
    assert recorded(session) == before


def test_coordinator_recording_a_member_twice_is_told_so(session: Session, people: People) -> None:
    settings = settings_for("informal")
    sme, fj = body(session, "sme"), state(session, "FJ")
    governance.record_membership(
        session, settings, user=people.coordinator, body=sme, state=fj, note="Decided at the March SME meeting"
    )
    before = recorded(session)
    with pytest.raises(Conflict, match="already a member"):
        governance.record_membership(session, settings, user=people.coordinator, body=sme, state=fj)
    assert recorded(session) == before
    assert (before[-1][3], *before[-1][5:]) == ("joined", people.coordinator.id, "Decided at the March SME meeting")


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        ("pif", 400, "States cannot join this body through the portal."),
        ("lcm", 400, "States cannot join this body through the portal."),
        (
            "adhoc-network",
            404,
            "Pacific peacekeeping network (military and law enforcement) is dormant under the Informal option",
        ),
    ],
)
def test_regional_and_dormant_bodies_cannot_be_joined(
    session: Session, people: People, portal: Portal, key: str, status: int, message: str
) -> None:
    portal.run("informal")
    fiji = portal.client(people.fiji)
    before = recorded(session)
    token = csrf_token(fiji.get("/bodies").text)

    response = fiji.post(f"/bodies/{key}/requests", data={"csrf_token": token, "action": "join"})

    assert response.status_code == status
    assert message in soup(response.text).get_text(" ", strip=True)
    assert recorded(session) == before


def test_note_longer_than_500_characters_is_refused(session: Session, people: People, portal: Portal) -> None:
    portal.run("informal")
    fiji = portal.client(people.fiji)
    before = recorded(session)
    response = post_form(fiji, "/bodies/sme", "/bodies/sme/requests", action="join", note="n" * 501)
    assert response.status_code == 400
    assert alert(response.text) == "The note may have at most 500 characters."
    assert recorded(session) == before


def test_focal_point_cannot_ask_for_another_state(session: Session, people: People, portal: Portal) -> None:
    portal.run("informal")
    samoa = portal.client(people.samoa)
    sme, fj = body(session, "sme"), state(session, "FJ")
    before = recorded(session)

    response = post_form(samoa, "/bodies/sme", "/bodies/sme/requests", action="join", state_id=str(fj.id))

    assert response.status_code == 403
    assert "You can act only for your own state." in soup(response.text).get_text()
    with pytest.raises(Forbidden):
        governance.request_membership(
            session, settings_for("informal"), user=people.samoa, body=sme, state=fj, action="join"
        )
    assert recorded(session) == before


def test_focal_point_cannot_confirm_record_or_chair_by_guessing_addresses(
    session: Session, people: People, portal: Portal
) -> None:
    settings = portal.run("informal")
    sme, fj, ws = body(session, "sme"), state(session, "FJ"), state(session, "WS")
    request = governance.request_membership(session, settings, user=people.samoa, body=sme, state=ws, action="join")
    before, terms = recorded(session), chair_terms(session)
    samoa = portal.client(people.samoa)
    token = csrf_token(samoa.get("/bodies/sme").text)
    page = soup(samoa.get("/bodies/sme").text)
    assert page.find("form", attrs={"action": f"/membership-requests/{request.id}"}) is None

    answers = [
        samoa.post(f"/membership-requests/{request.id}", data={"csrf_token": token, "decision": "accept"}),
        samoa.post("/bodies/sme/members", data={"csrf_token": token, "state_id": str(ws.id)}),
        samoa.post("/bodies/sme/chairs", data={"csrf_token": token, "state_id": str(ws.id), "starts_on": "2025-01-01"}),
        samoa.post("/bodies/sme/requests", data={"csrf_token": token, "action": "join", "state_id": str(fj.id)}),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert recorded(session) == before and chair_terms(session) == terms
    with pytest.raises(Forbidden):
        governance.decide(session, settings, user=people.samoa, event_id=request.id, accept=True)
    assert recorded(session) == before


def test_state_page_shows_since_when_it_belongs_to_each_body(session: Session, people: People, portal: Portal) -> None:
    settings = portal.run("operational")
    fj = state(session, "FJ")
    joined = {}
    for key in ("sme", "picp-group"):
        joined[key] = governance.record_membership(
            session, settings, user=people.coordinator, body=body(session, key), state=fj
        )
    people.fiji.time_zone = "Pacific/Fiji"
    session.add(people.fiji)
    session.commit()

    page = soup(portal.client(people.fiji).get("/members/FJ").text)

    items = page.find(id="memberships-heading").parent.find("ul").find_all("li")
    shown = {li.a["href"]: " ".join(li.get_text(" ", strip=True).split()) for li in items}
    assert set(shown) == {"/bodies/sme", "/bodies/picp-group"}
    for key, event in joined.items():
        assert shown[f"/bodies/{key}"].endswith(f"member since {local_date(event.at, 'Pacific/Fiji')}")


def test_request_on_a_body_gone_dormant_waits_unseen_and_cannot_be_decided(
    session: Session, people: People, portal: Portal
) -> None:
    settings = portal.run("adhoc")
    request = governance.request_membership(
        session,
        settings,
        user=people.fiji,
        body=body(session, "adhoc-network"),
        state=state(session, "FJ"),
        action="join",
    )
    settings = portal.run("informal")
    coordinator = portal.client(people.coordinator)
    assert soup(coordinator.get("/bodies").text).find(id="pending-heading") is None
    before = recorded(session)

    response = post_form(coordinator, "/bodies", f"/membership-requests/{request.id}", decision="accept")

    assert response.status_code == 404
    assert "is dormant under the Informal option" in soup(response.text).get_text()
    assert recorded(session) == before
    admin = portal.client(people.admin)
    response = post_form(admin, "/bodies", f"/membership-requests/{request.id}", decision="accept")
    assert response.status_code == 409
    assert "it can be read, not changed" in soup(response.text).get_text()
    assert recorded(session) == before
    settings = portal.run("adhoc")
    assert [event.id for event, _, _ in governance.pending_requests(session, settings)] == [request.id]


# Chairs


def test_chair_rotation_is_recorded_as_appended_terms(session: Session, people: People, portal: Portal) -> None:
    settings = portal.run("diplomatic")
    committee = body(session, "pif-subcommittee")
    fj, ws = state(session, "FJ"), state(session, "WS")
    for member in (fj, ws):
        governance.record_membership(session, settings, user=people.coordinator, body=committee, state=member)
    coordinator = portal.client(people.coordinator)

    first = post_form(
        coordinator,
        "/bodies/pif-subcommittee",
        "/bodies/pif-subcommittee/chairs",
        state_id=str(fj.id),
        starts_on="2025-01-01",
    )
    assert first.status_code == 303 and first.headers["location"].endswith("?notice=chair-recorded")
    after_first = chair_terms(session)
    second = post_form(
        coordinator,
        "/bodies/pif-subcommittee",
        "/bodies/pif-subcommittee/chairs",
        state_id=str(ws.id),
        starts_on="2025-07-01",
    )
    assert second.status_code == 303

    assert chair_terms(session)[:1] == after_first, "the earlier term is kept as it was"
    terms = session.exec(select(ChairTerm).where(ChairTerm.body_id == committee.id).order_by(ChairTerm.id)).all()
    assert [(t.state_id, t.starts_on, t.recorded_by) for t in terms] == [
        (fj.id, date(2025, 1, 1), people.coordinator.id),
        (ws.id, date(2025, 7, 1), people.coordinator.id),
    ]
    page = soup(portal.client(people.fiji).get("/bodies/pif-subcommittee").text)
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in page.select("dl.facts dt")],
            [" ".join(dd.get_text(" ", strip=True).split()) for dd in page.select("dl.facts dd")],
            strict=True,
        )
    )
    assert facts["Chair"] == "Samoa (since 1 Jul 2025) · rotating among member states"
    rotation = [li.get_text(strip=True) for li in page.find(id="chairs-heading").parent.find_all("li")]
    assert rotation == ["Samoa from 1 Jul 2025", "Fiji from 1 Jan 2025"]


@pytest.mark.parametrize(
    ("code", "starts_on", "message"),
    [
        ("TO", "2025-01-01", "Only a member state can chair this body."),
        ("FJ", "next July", "Enter a date as YYYY-MM-DD."),
        ("FJ", "", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_chair_that_cannot_be_recorded_is_explained(
    session: Session, people: People, portal: Portal, code: str, starts_on: str, message: str
) -> None:
    settings = portal.run("informal")
    governance.record_membership(
        session, settings, user=people.coordinator, body=body(session, "sme"), state=state(session, "FJ")
    )
    coordinator = portal.client(people.coordinator)
    before = chair_terms(session)

    response = post_form(
        coordinator, "/bodies/sme", "/bodies/sme/chairs", state_id=str(state(session, code).id), starts_on=starts_on
    )

    assert response.status_code == 400
    assert alert(response.text) == message
    assert chair_terms(session) == before


def test_chairs_are_recorded_only_by_coordinators(session: Session, people: People) -> None:
    settings = settings_for("informal")
    sme, fj = body(session, "sme"), state(session, "FJ")
    governance.record_membership(session, settings, user=people.coordinator, body=sme, state=fj)
    with pytest.raises(Forbidden):
        governance.record_chair(session, settings, user=people.fiji, body=sme, state=fj, starts_on=date(2025, 1, 1))
    with pytest.raises(DomainError, match="cannot join"):
        governance.record_chair(
            session, settings, user=people.coordinator, body=body(session, "pif"), state=fj, starts_on=date(2025, 1, 1)
        )
    assert chair_terms(session) == []


@pytest.mark.parametrize("option", ["diplomatic", "operational", "informal", "adhoc"])
def test_network_body_says_decisions_are_taken_by_consensus(
    session: Session, people: People, portal: Portal, option: str
) -> None:
    portal.run(option)
    page = soup(portal.client(people.fiji).get("/bodies/sme").text)
    facts = dict(
        zip(
            [dt.get_text(strip=True) for dt in page.select("dl.facts dt")],
            [dd.get_text(" ", strip=True) for dd in page.select("dl.facts dd")],
            strict=True,
        )
    )
    assert facts["Decisions"] == "By consensus"
    assert facts["Chair"].startswith("None recorded")
    assert governance.profile(settings_for(option)).decisions == "consensus"
