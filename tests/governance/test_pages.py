"""Governance pages: the words change with the option in force, and list pages cost a fixed number of queries
whatever the amount of data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.governance import service as governance
from app.members.models import MemberState
from tests.factories import QueryLog, soup, state
from tests.governance.conftest import OPTIONS, People, body, links, settings_for
from tests.support.portal import Portal

LABELS = {
    "diplomatic": "Diplomatic option",
    "operational": "Operational option",
    "informal": "Informal option",
    "adhoc": "Ad hoc voluntary network",
}
SUMMARY_WORDS = {
    "diplomatic": "voluntary-membership sub-committee of the Pacific Islands Forum",
    "operational": "a military peacekeeping group under the South Pacific Defence Ministers' Meeting",
    "informal": "No new body is created.",
    "adhoc": "One network with voluntary membership for military and law-enforcement peacekeeping",
}
MEMBERS_HEADING = {
    "diplomatic": "Member states",
    "operational": "Member states",
    "informal": "Participating states",
    "adhoc": "Member states",
}


def words(html: str) -> str:
    return " ".join(soup(html).get_text(" ").split())


@pytest.mark.parametrize("option", OPTIONS)
def test_home_page_describes_the_option_in_force(portal: Portal, option: str) -> None:
    portal.run(option)
    page = soup(portal.client().get("/").text)
    section = page.find(id="option-heading").parent
    assert page.find(id="option-heading").get_text(strip=True) == f"How the network is run: {LABELS[option]}"
    assert SUMMARY_WORDS[option] in " ".join(section.get_text(" ").split())
    others = [SUMMARY_WORDS[other] for other in OPTIONS if other != option]
    assert not [text for text in others if text in words(str(page))]


@pytest.mark.parametrize("option", OPTIONS)
def test_bodies_pages_use_the_words_of_the_option(people: People, portal: Portal, option: str) -> None:
    portal.run(option)
    fiji = portal.client(people.fiji)
    bodies = soup(fiji.get("/bodies").text)
    assert f"Governance option in force: {LABELS[option]}." in words(str(bodies.find("main")))
    sme = soup(fiji.get("/bodies/sme").text)
    assert sme.find(id="members-heading").get_text(strip=True) == MEMBERS_HEADING[option]
    directory = soup(fiji.get("/members").text)
    assert directory.h1.get_text(strip=True) == MEMBERS_HEADING[option]


def test_informal_option_speaks_french_too(people: People, portal: Portal) -> None:
    portal.run("informal")
    people.fiji.language = "fr"
    fiji = portal.client(people.fiji)
    home = soup(fiji.get("/").text)
    assert "Option informelle" in home.find(id="option-heading").get_text()
    assert "Aucun nouvel organe n'est créé." in words(str(home))
    assert soup(fiji.get("/bodies/sme").text).find(id="members-heading").get_text(strip=True) == "États participants"


def test_admin_page_marks_the_option_in_force_and_lists_the_switches(people: People, portal: Portal) -> None:
    portal.run("operational")
    portal.run("adhoc")
    page = soup(portal.client(people.admin).get("/admin").text)
    current = page.find("tr", attrs={"aria-current": "true"})
    assert "Ad hoc voluntary network" in current.get_text() and "(current)" in current.get_text()
    history = [li.get_text(" ", strip=True) for li in page.find("h3", string="Option history").find_next("ul")("li")]
    assert len(history) == 2
    assert history[0].endswith(": adhoc (was operational)") and history[1].endswith(": operational")


def test_working_groups_page_offers_only_the_bodies_and_tracks_the_option_allows(
    people: People, portal: Portal
) -> None:
    portal.run("operational")
    page = soup(portal.client(people.coordinator).get("/working-groups").text)
    assert [o["value"] for o in page.select("#f-body option")] == ["spdmm-group", "picp-group"]
    hint = " ".join(page.select_one("#f-track").find_next("span", class_="hint").get_text(" ").split())
    assert hint == "SPDMM-PKG: Military · PICP-PKG: Police"


# Query counts


def add_groups(session: Session, people: People, count: int) -> None:
    """`count` more working groups under the ad hoc network, each with its lead and two other members."""
    settings = settings_for("adhoc")
    ids = [s.id for s in session.exec(select(MemberState).order_by(MemberState.id)).all()]
    existing = len(governance.list_working_groups(session, settings, user=people.admin, include_archived=True))
    for number in range(existing, existing + count):
        governance.create_working_group(
            session,
            settings,
            user=people.coordinator,
            body_key="adhoc-network",
            name=f"Group {number:02}",
            track=("military", "police", "joint")[number % 3],
            lead_state_id=ids[number % len(ids)],
            mandate="Share practice.",
            member_state_ids=[ids[(number + 1) % len(ids)], ids[(number + 2) % len(ids)]],
        )


def add_members(session: Session, people: People, count: int) -> None:
    """`count` more states with a membership of the ad hoc network and a request waiting on the SME meeting."""
    settings = settings_for("adhoc")
    network, sme = body(session, "adhoc-network"), body(session, "sme")
    taken = {state_id for (_, state_id) in governance.memberships(session, body_id=network.id)}
    free = [s for s in session.exec(select(MemberState).order_by(MemberState.id)).all() if s.id not in taken]
    for member in free[:count]:
        governance.record_membership(session, settings, user=people.coordinator, body=network, state=member)
        governance.request_membership(
            session, settings, user=people.coordinator, body=sme, state=member, action="join", note="Please"
        )
        governance.record_chair(
            session, settings, user=people.coordinator, body=network, state=member, starts_on=date(2025, 1, 1)
        )


def queries(engine: Engine, browser: TestClient, path: str) -> int:
    """How many SQL statements one page view costs."""
    with QueryLog(engine) as log:
        assert browser.get(path).status_code == 200
    return len(log)


@pytest.mark.parametrize(
    ("role", "path", "grow", "rows"),
    [
        ("coordinator", "/working-groups", add_groups, "main table tbody tr"),
        ("focal_point", "/working-groups", add_groups, "main table tbody tr"),
        ("coordinator", "/bodies", add_members, "#pending-heading + ul > li"),
        ("focal_point", "/bodies/adhoc-network", add_members, "section[aria-labelledby=members-heading] tbody tr"),
        ("coordinator", "/bodies/adhoc-network", add_members, "section[aria-labelledby=members-heading] tbody tr"),
        ("focal_point", "/bodies/adhoc-network", add_groups, "section[aria-labelledby=groups-heading] li"),
    ],
)
def test_page_costs_the_same_queries_with_2_or_20_rows(
    session: Session,
    engine: Engine,
    people: People,
    portal: Portal,
    role: str,
    path: str,
    grow: Callable[[Session, People, int], None],
    rows: str,
) -> None:
    portal.run("adhoc")
    browser = portal.client(people.coordinator if role == "coordinator" else people.fiji)
    grow(session, people, 2)
    assert len(soup(browser.get(path).text).select(rows)) == 2
    with_two = queries(engine, browser, path)
    grow(session, people, 18)
    assert len(soup(browser.get(path).text).select(rows)) == 20

    with_twenty = queries(engine, browser, path)

    assert 0 < with_twenty == with_two


def test_focal_point_state_page_lists_groups_with_a_fixed_number_of_queries(
    session: Session, engine: Engine, people: People, portal: Portal
) -> None:
    portal.run("adhoc")
    browser = portal.client(people.fiji)

    def led_by_fiji(count: int) -> None:
        for _ in range(count):
            governance.create_working_group(
                session,
                settings_for("adhoc"),
                user=people.coordinator,
                body_key="adhoc-network",
                name="Fiji-led group",
                track="joint",
                lead_state_id=state(session, "FJ").id,
                mandate="",
                member_state_ids=[],
            )

    def groups_shown() -> int:
        section = soup(browser.get("/members/FJ").text).find(id="memberships-heading").parent
        return len(links(section, "/working-groups/"))

    led_by_fiji(2)
    assert groups_shown() == 2
    with_two = queries(engine, browser, "/members/FJ")
    led_by_fiji(18)
    assert groups_shown() == 20

    with_twenty = queries(engine, browser, "/members/FJ")

    assert 0 < with_twenty == with_two
