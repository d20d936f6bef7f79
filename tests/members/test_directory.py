"""The member directory at /members: every state, filters by subregion, body and track, the htmx fragment, French
names, and a number of queries that does not grow with the data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.models import User
from app.core import region
from app.core.config import get_settings
from app.governance import service as governance
from app.governance.models import Body
from app.members.models import MemberState
from tests.factories import QueryLog, make_user, soup, state
from tests.members.conftest import People


def directory(html: str) -> list[list[str]]:
    """The directory table's rows: name, subregion, bodies."""
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in soup(html).select("table tbody tr")
    ]


def names(html: str) -> list[str]:
    return [row[0] for row in directory(html)]


def body(session: Session, key: str) -> Body:
    found = session.exec(select(Body).where(Body.key == key)).first()
    assert found is not None, f"seeded body {key} missing"
    return found


def join(session: Session, coordinator: User, key: str, *codes: str) -> None:
    """Records the states as members of a body, as a coordinator does after a meeting decided it."""
    for code in codes:
        governance.record_membership(
            session, get_settings(), user=coordinator, body=body(session, key), state=state(session, code)
        )


def all_states(session: Session) -> list[MemberState]:
    return list(session.exec(select(MemberState)).all())


def test_the_directory_lists_every_state_and_territory_by_name(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    page = browser_for(people.observer).get("/members")

    assert page.status_code == 200
    everyone = all_states(session)
    assert names(page.text) == sorted(found.name_en for found in everyone)
    assert soup(page.text).caption.get_text(strip=True) == f"{len(everyone)} states and territories"
    fiji = next(row for row in directory(page.text) if row[0] == "Fiji")
    assert fiji == ["Fiji", "Melanesia", "—"]
    assert soup(page.text).find("a", string="Fiji")["href"] == "/members/FJ"


@pytest.mark.parametrize("subregion", ["melanesia", "micronesia", "polynesia", "other"])
def test_filtering_by_subregion_lists_only_the_states_of_that_subregion(
    session: Session, people: People, browser_for: Callable[..., Any], subregion: str
) -> None:
    page = browser_for(people.observer).get("/members", params={"subregion": subregion})

    expected = sorted(found.name_en for found in all_states(session) if found.subregion == subregion)
    assert expected and names(page.text) == expected
    chosen = soup(page.text).select_one("#f-subregion option[selected]")
    assert chosen is not None and chosen["value"] == subregion


def test_filtering_by_body_lists_its_members_only(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    join(session, people.coordinator, "sme", "FJ", "WS", "NZ")
    governance.request_membership(
        session,
        get_settings(),
        user=people.fiji,
        body=body(session, "sme"),
        state=state(session, "FJ"),
        action="withdraw",
    )
    governance.request_membership(
        session,
        get_settings(),
        user=people.coordinator,
        body=body(session, "sme"),
        state=state(session, "TO"),
        action="join",
    )
    leaving = governance.request_membership(
        session,
        get_settings(),
        user=people.coordinator,
        body=body(session, "sme"),
        state=state(session, "NZ"),
        action="withdraw",
    )
    governance.decide(session, get_settings(), user=people.coordinator, event_id=leaving.id, accept=True)  # type: ignore[arg-type]

    page = browser_for(people.observer).get("/members", params={"body": "sme"})

    assert directory(page.text) == [["Fiji", "Melanesia", "SME"], ["Samoa", "Polynesia", "SME"]], (
        "members only: Fiji's withdrawal is not confirmed, Tonga is not confirmed yet, New Zealand withdrew"
    )


def test_filtering_by_track_counts_bodies_and_working_groups_and_joint_ones_for_both(
    session: Session, people: People, browser_for: Callable[..., Any], configure: Callable[..., None]
) -> None:
    configure(governance_option="operational")
    join(session, people.coordinator, "spdmm-group", "FJ")
    join(session, people.coordinator, "picp-group", "WS")
    join(session, people.coordinator, "sme", "TO")
    governance.create_working_group(
        session,
        get_settings(),
        user=people.coordinator,
        body_key="picp-group",
        name="Pre-deployment training",
        track="police",
        lead_state_id=state(session, "NC").id,
        mandate="",
        member_state_ids=[],
    )
    observer = browser_for(people.observer)

    def listed(**filters: str) -> list[str]:
        return names(observer.get("/members", params=filters).text)

    assert listed(track="military") == ["Fiji", "Tonga"]
    assert listed(track="police") == ["New Caledonia", "Samoa", "Tonga"]
    assert listed(track="joint") == ["Tonga"]
    assert listed(track="police", subregion="melanesia") == ["New Caledonia"]
    assert listed(body="picp-group") == ["Samoa"]
    assert listed(track="military", body="picp-group") == ["No state matches these filters."]


def test_a_filter_that_matches_nothing_says_so(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    observer = browser_for(people.observer)

    for filters in ({"subregion": "micronesia", "body": "sme"}, {"subregion": "atlantis"}, {"track": "naval"}):
        page = observer.get("/members", params=filters)
        assert page.status_code == 200
        assert directory(page.text) == [["No state matches these filters."]], filters
        assert soup(page.text).caption.get_text(strip=True) == "0 states and territories"


def test_htmx_gets_the_filtered_table_alone_and_a_browser_the_whole_page(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    observer = browser_for(people.observer)

    fragment = observer.get("/members", params={"subregion": "melanesia"}, headers={"HX-Request": "true"})
    whole = observer.get("/members", params={"subregion": "melanesia"})

    assert soup(fragment.text).find("html") is None and soup(fragment.text).find("form") is None
    assert soup(whole.text).find("form", attrs={"action": "/members", "method": "get"}) is not None
    assert (
        names(fragment.text)
        == names(whole.text)
        == sorted(found.name_en for found in all_states(session) if found.subregion == "melanesia")
    )


def test_the_directory_in_french_shows_french_names(
    session: Session, people: People, browser_for: Callable[..., Any]
) -> None:
    reader = make_user(session, role="observer", language="fr", password=None)
    join(session, people.coordinator, "sme", "NC")

    page = browser_for(reader).get("/members")

    everyone = all_states(session)
    heading = region.load(get_settings().seeds_dir).options[get_settings().governance_option].members_heading
    assert soup(page.text).h1.get_text(strip=True) == heading("fr")
    assert sorted(names(page.text)) == sorted(found.name_fr for found in everyone)
    assert ["Nouvelle-Calédonie", "Mélanésie", "SME"] in directory(page.text)
    assert ["Papouasie-Nouvelle-Guinée", "Mélanésie", "—"] in directory(page.text)
    assert soup(page.text).caption.get_text(strip=True) == f"{len(everyone)} États et territoires"
    english_only = {found.name_en for found in everyone} - {found.name_fr for found in everyone}
    assert not english_only & set(names(page.text))


def test_anonymous_visitors_are_sent_to_sign_in(browser_for: Callable[..., Any]) -> None:
    page = browser_for(None).get("/members")

    assert page.status_code == 303
    assert page.headers["location"] == "/auth/sign-in?next=/members"


def test_the_directory_runs_as_many_queries_with_more_states_and_memberships(
    session: Session, people: People, browser_for: Callable[..., Any], configure: Callable[..., None], engine: Engine
) -> None:
    configure(governance_option="adhoc")
    observer = browser_for(people.observer)
    observer.get("/members")

    def count(**filters: str) -> tuple[int, str]:
        with QueryLog(engine) as log:
            page = observer.get("/members", params=filters)
        assert page.status_code == 200
        return len(log), page.text

    small, _ = count()
    small_filtered, _ = count(track="police")
    for number in range(8):
        session.add(
            MemberState(code=f"Q{number}", name_en=f"Extra state {number}", name_fr=f"État {number}", subregion="other")
        )
    session.commit()
    extra = [state(session, f"Q{number}") for number in range(8)]
    join(session, people.coordinator, "sme", "FJ", "WS", "TO", *(found.code for found in extra))
    join(session, people.coordinator, "adhoc-network", "FJ", *(found.code for found in extra[:4]))
    for track, lead in (("police", extra[0]), ("military", extra[1]), ("joint", extra[2])):
        governance.create_working_group(
            session,
            get_settings(),
            user=people.coordinator,
            body_key="adhoc-network",
            name=f"{track} group",
            track=track,
            lead_state_id=lead.id,
            mandate="",
            member_state_ids=[found.id for found in extra[3:]],
        )  # type: ignore[misc]

    large, html = count()
    large_filtered, filtered_html = count(track="police")

    assert "Extra state 7" in names(html) and "Extra state 7" in names(filtered_html)
    assert ["Fiji", "Melanesia", "SME, PPN"] in directory(html)
    assert small > 0 and (large, large_filtered) == (small, small_filtered), (small, large)
