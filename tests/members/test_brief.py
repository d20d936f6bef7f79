"""The country brief: one printable page on a state, with what a capital asks for, and the state's meetings and
action items only for its own focal points and coordinators."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.capacity import service as capacity
from app.core.config import get_settings
from app.governance import service as governance
from app.meetings import service as meetings
from app.members import service as members
from app.training import service as training
from tests.factories import make_user, sign_in, soup, state


@pytest.fixture
def tonga(session: Session) -> dict[str, object]:
    """Tonga with a focal point, a membership, figures, a need with support, a course, a meeting and an action."""
    settings = get_settings()
    coordinator = make_user(session, role="coordinator", password=None)
    place = state(session, "TO")
    focal_point = members.invite_focal_point(
        session,
        settings,
        user=coordinator,
        state=place,
        email="tonga.fp@example.org",
        display_name="Tonga FP",
        portfolio="police",
    )
    sme = governance.get_body(session, settings, "sme", user=coordinator)
    governance.record_membership(session, settings, user=coordinator, body=sme, state=place)
    members.record_contribution(
        session, user=focal_point, state=place, as_of=date(2024, 5, 30), category="individual_police", men=3, women=2
    )
    need = capacity.record_need(
        session,
        user=focal_point,
        form=capacity.NeedForm(
            area="equipment", track="police", description="Vehicles for the deployment unit", priority="high"
        ),
    )
    capacity.record_support(
        session,
        user=coordinator,
        form=capacity.SupportForm(
            recipient_state="TO",
            need=str(need.id),
            starts_on="2030-01-01",
            ends_on="2030-12-31",
            kind="funding",
            amount="250000",
            currency="AUD",
            provider_state="AU",
        ),
    )
    first = date.today() + timedelta(days=40)
    offer = training.create_offer(
        session,
        user=coordinator,
        form=training.OfferForm(
            title="Regional pre-deployment course",
            course_type="pre-deployment",
            track="police",
            starts_on=first.isoformat(),
            ends_on=(first + timedelta(days=9)).isoformat(),
            deadline_on=(first - timedelta(days=10)).isoformat(),
            seats=20,
            seats_per_state=4,
            languages=["en"],
            venue_state="FJ",
            city="Nadi",
            provider_state="FJ",
            zone="Pacific/Fiji",
        ),
    )
    training.set_status(session, settings, user=coordinator, offer=offer, status="published")
    training.nominate(
        session, user=focal_point, offer=offer, form=training.CandidateForm(full_name="Sione Candidate", gender="man")
    )
    meeting = meetings.create_meeting(
        session,
        settings,
        user=coordinator,
        form=meetings.MeetingForm(
            title="SME meeting, second quarter",
            day=(date.today() + timedelta(days=20)).isoformat(),
            start="10:00",
            duration=120,
            host_zone="Pacific/Tongatapu",
            format="virtual",
            link="https://meet.example.org/sme",
            body_key="sme",
        ),
    )
    meetings.add_action_item(
        session,
        user=coordinator,
        meeting=meeting,
        owner_state_id=place.id,  # type: ignore[arg-type]
        text="Share the vehicle specifications",
        due_on="2030-02-01",
    )
    return {"focal_point": focal_point, "coordinator": coordinator}


def sections(html: str) -> dict[str, str]:
    return {
        section.h2.get_text(strip=True): section.get_text(" ", strip=True)
        for section in soup(html).find_all("section")
        if section.h2
    }


def test_brief_gathers_what_a_capital_asks_for(client, session, tonga) -> None:
    sign_in(client, session, tonga["focal_point"])
    response = client.get("/members/TO/brief")
    assert response.status_code == 200
    found = sections(response.text)
    assert "Quarterly subject-matter-expert meeting" in found["Memberships"]
    assert "Tonga FP" in found["Focal points"]
    assert "Individual police officers 2 5" in found["Personnel in UN operations"]
    needs = found["Open needs and the support against them"]
    assert "Vehicles for the deployment unit" in needs and "Australia" in needs and "A$250,000" in needs
    assert "Regional pre-deployment course" in found["Upcoming training"]
    assert "Sione" not in response.text  # candidates' names are not part of a brief
    assert "SME meeting, second quarter" in found["Upcoming meetings"]
    assert "Share the vehicle specifications" in found["Open action items"]


def test_other_states_do_not_see_the_states_meetings_and_actions(client, session, tonga) -> None:
    sign_in(
        client, session, make_user(session, role="focal_point", member_state_id=state(session, "WS").id, password=None)
    )
    found = sections(client.get("/members/TO/brief").text)
    assert "Upcoming meetings" not in found and "Open action items" not in found
    assert "Vehicles for the deployment unit" in found["Open needs and the support against them"]


def test_brief_is_linked_from_the_state_page_and_prints_on_its_own(client, session, tonga) -> None:
    sign_in(client, session, tonga["coordinator"])
    assert soup(client.get("/members/TO").text).find("a", href="/members/TO/brief")
    page = soup(client.get("/members/TO/brief").text)
    stylesheet = client.get(page.find("link", rel="stylesheet")["href"]).text
    assert "@media print" in stylesheet and ".no-print" in stylesheet
    assert page.find(class_="no-print") is not None


def test_brief_in_french(client, session, tonga) -> None:
    sign_in(client, session, make_user(session, role="coordinator", password=None, language="fr"))
    page = soup(client.get("/members/TO/brief").text)
    assert page.h1.get_text(strip=True) == "Fiche pays\u00a0: Tonga"


def test_brief_of_an_unknown_state_is_not_found(client, session, tonga) -> None:
    sign_in(client, session, tonga["coordinator"])
    assert client.get("/members/XX/brief").status_code == 404


def test_support_that_ended_over_a_year_ago_is_left_out_of_the_brief(client, session, tonga) -> None:
    """A brief stays one page as the years pass: support ended more than a year ago is history, not news."""
    today = date.today()
    for provider, ended in (("NZ", today - timedelta(days=400)), ("FJ", today - timedelta(days=90))):
        capacity.record_support(
            session,
            user=tonga["coordinator"],
            form=capacity.SupportForm(
                recipient_state="TO",
                starts_on=(ended - timedelta(days=30)).isoformat(),
                ends_on=ended.isoformat(),
                area="training",
                track="police",
                kind="trainers",
                provider_state=provider,
            ),
        )
    sign_in(client, session, tonga["coordinator"])

    page = soup(client.get("/members/TO/brief").text)

    table = page.find("caption", string="Support given in the past year or planned").find_parent("table")
    providers = [row.td.get_text(strip=True) for row in table.tbody.find_all("tr")]
    assert providers == ["Fiji", "Australia"]  # soonest first; New Zealand's ended 400 days ago


def test_a_long_list_shows_its_first_rows_and_says_how_many_more(client, session, tonga) -> None:
    """A state with many open needs and action items gets a brief of the same length, the most pressing first, and
    is told how many more there are and where to find them."""
    for number in range(22):
        capacity.record_need(
            session,
            user=tonga["focal_point"],
            form=capacity.NeedForm(
                area="training", track="police", description=f"Course seats, batch {number}", priority="low"
            ),
        )
    meeting = meetings.upcoming_for_state(session, state_id=state(session, "TO").id)[0]  # type: ignore[arg-type]
    for number in range(20):
        meetings.add_action_item(
            session,
            user=tonga["coordinator"],
            meeting=meeting,
            owner_state_id=state(session, "TO").id,  # type: ignore[arg-type]
            text=f"Report on step {number}",
            due_on="2031-01-01",
        )
    sign_in(client, session, tonga["focal_point"])

    page = soup(client.get("/members/TO/brief").text)

    needs = page.find("section", attrs={"aria-labelledby": "b-needs"})
    described = [row.td.get_text(strip=True) for row in needs.table.tbody.find_all("tr")]
    assert len(described) == 20 and described[0] == "Vehicles for the deployment unit"  # high before low
    assert "3 more open needs are not shown here." in needs.get_text(" ", strip=True)
    assert needs.find("a", href="/needs?state=TO") is not None
    actions = page.find("section", attrs={"aria-labelledby": "b-actions"})
    assert len(actions.ul.find_all("li")) == 20
    assert actions.ul.li.get_text(" ", strip=True).startswith("Share the vehicle specifications")  # due soonest
    assert "1 more open action item is not shown here." in actions.get_text(" ", strip=True)
