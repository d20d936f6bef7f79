"""Coalition pages: the list and its convening form, a coalition's page for its leads, partners and others,
forms that answer with a redirect, refusals in the user's language, and guessed ids."""

from __future__ import annotations

from sqlmodel import func, select

from app.coalitions import service
from app.coalitions.models import Coalition, CoalitionProgress
from app.core.config import get_settings
from app.meetings import service as meetings
from app.meetings.models import Meeting
from tests.coalitions.conftest import People
from tests.factories import csrf_token, make_user, sign_in, soup, state


def form_post(client, page: str, target: str, **fields):  # type: ignore[no-untyped-def]
    return client.post(target, data={"csrf_token": csrf_token(client.get(page).text), **fields})


def alert(html: str) -> str:
    box = soup(html).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


def test_coordinator_convenes_from_the_list(client, session, people: People) -> None:
    sign_in(client, session, people.coordinator)
    response = form_post(
        client,
        "/coalitions",
        "/coalitions",
        state_id=str(state(session, "FJ").id),
        title="Fiji police deployment",
        purpose="SAAT and pre-deployment training",
        partner_state_ids=[str(state(session, "AU").id), str(state(session, "NZ").id)],
        organisations="UN DPO\nPacific Islands Chiefs of Police secretariat",
    )
    assert response.status_code == 303
    page = soup(client.get(response.headers["location"]).text)
    assert page.h1.get_text(strip=True) == "Fiji police deployment"
    partners = page.find(id="partners").find("ul").get_text(" ", strip=True)
    for name in ("Australia", "New Zealand", "UN DPO", "Pacific Islands Chiefs of Police secretariat"):
        assert name in partners
    listed = soup(client.get("/coalitions").text).find("table")
    assert "Fiji police deployment" in listed.get_text() and "4" in [td.get_text() for td in listed.find_all("td")]


def test_focal_points_see_coalitions_but_not_the_convening_form(client, session, people, coalition) -> None:
    sign_in(client, session, people.samoa)
    page = soup(client.get("/coalitions").text)
    assert page.find("a", string="Fiji police deployment coalition")
    assert page.find("form", action="/coalitions") is None
    assert (
        client.post(
            "/coalitions",
            data={
                "csrf_token": csrf_token(client.get("/coalitions").text),
                "state_id": str(state(session, "WS").id),
                "title": "Ours",
            },
        ).status_code
        == 403
    )


def test_convening_refusal_is_shown_in_french_and_creates_nothing(client, session, people) -> None:
    sign_in(client, session, make_user(session, role="coordinator", password=None, language="fr"))
    before = session.exec(select(func.count()).select_from(Coalition)).one()
    response = form_post(client, "/coalitions", "/coalitions", state_id=str(state(session, "FJ").id), title=" ")
    assert response.status_code == 400
    assert alert(response.text) == "Donnez à la coalition un titre de 200 caractères au plus."
    assert session.exec(select(func.count()).select_from(Coalition)).one() == before


def test_the_states_focal_point_leads_from_the_page(client, session, people, coalition, fiji_needs) -> None:
    sign_in(client, session, people.fiji)
    page_url = f"/coalitions/{coalition.id}"
    page = soup(client.get(page_url).text)
    assert page.find("form", action=f"{page_url}/needs") is not None
    assert page.find("form", action=f"{page_url}/meetings") is None  # coordinators schedule meetings
    response = form_post(client, page_url, f"{page_url}/needs", need_id=str(fiji_needs[1].id))
    assert response.status_code == 303
    response = form_post(client, page_url, f"{page_url}/progress", text="Radios ordered by a partner")
    assert response.status_code == 303
    page = soup(client.get(page_url).text)
    assert "Radios for a formed police unit" in page.find(id="needs").get_text()
    history = page.find(id="history").get_text(" ", strip=True)
    assert "Radios ordered by a partner" in history and "Fiji FP" in history


def test_partner_state_records_progress_but_cannot_change_the_scope(
    client, session, people, coalition, fiji_needs
) -> None:
    sign_in(client, session, people.new_zealand)
    page_url = f"/coalitions/{coalition.id}"
    page = soup(client.get(page_url).text)
    assert page.find("form", action=f"{page_url}/needs") is None
    assert page.find("form", action=f"{page_url}/progress") is not None
    assert form_post(client, page_url, f"{page_url}/needs", need_id=str(fiji_needs[0].id)).status_code == 403
    assert form_post(client, page_url, f"{page_url}/progress", text="Trainers confirmed").status_code == 303


def test_another_state_cannot_write_into_the_coalition(client, session, people, coalition) -> None:
    sign_in(client, session, people.samoa)
    page_url = f"/coalitions/{coalition.id}"
    assert soup(client.get(page_url).text).find("form", action=f"{page_url}/progress") is None
    before = session.exec(select(func.count()).select_from(CoalitionProgress)).one()
    for target, fields in (
        (f"{page_url}/progress", {"text": "Taken over"}),
        (f"{page_url}/partners", {"organisation": "Someone"}),
        (f"{page_url}/status", {"status": "closed"}),
    ):
        assert form_post(client, page_url, target, **fields).status_code == 403
    assert session.exec(select(func.count()).select_from(CoalitionProgress)).one() == before
    session.refresh(coalition)
    assert coalition.status == "active"


def test_coordinator_schedules_a_meeting_and_adds_an_action_item(client, session, people, coalition) -> None:
    sign_in(client, session, people.coordinator)
    page_url = f"/coalitions/{coalition.id}"
    response = form_post(
        client,
        page_url,
        f"{page_url}/meetings",
        title="Coalition talanoa",
        day="2031-05-06",
        start="09:00",
        duration="90",
        host_zone="Pacific/Fiji",
        format="virtual",
        link="https://meet.example.org/talanoa",
    )
    assert response.status_code == 303
    meeting = session.exec(select(Meeting).where(Meeting.title_en == "Coalition talanoa")).one()
    response = form_post(
        client,
        page_url,
        f"{page_url}/action-items",
        meeting_id=str(meeting.id),
        owner_state_id=str(state(session, "NZ").id),
        text="Confirm two police trainers",
        due_on="2031-06-01",
    )
    assert response.status_code == 303
    page = soup(client.get(page_url).text)
    assert page.find(id="meetings").find("a", href=f"/meetings/{meeting.id}")
    actions = page.find(id="actions").find("table").get_text(" ", strip=True)
    assert "Confirm two police trainers" in actions and "New Zealand" in actions
    # The partner state's focal point is invited and finds the meeting.
    sign_in(client, session, people.new_zealand)
    assert client.get(f"/meetings/{meeting.id}").status_code == 200


def test_a_refused_meeting_shows_the_message_beside_its_form(client, session, people, coalition) -> None:
    sign_in(client, session, people.coordinator)
    page_url = f"/coalitions/{coalition.id}"
    before = session.exec(select(func.count()).select_from(Meeting)).one()
    response = form_post(
        client,
        page_url,
        f"{page_url}/meetings",
        title="No link",
        day="2031-05-06",
        start="09:00",
        duration="90",
        host_zone="Pacific/Fiji",
        format="virtual",
        link="",
    )
    assert response.status_code == 400
    section = soup(response.text).find(id="meetings")
    assert "https:// link" in section.find(attrs={"role": "alert"}).get_text()
    assert session.exec(select(func.count()).select_from(Meeting)).one() == before


def test_a_guessed_coalition_is_not_found(client, session, people) -> None:
    sign_in(client, session, people.fiji)
    assert client.get("/coalitions/999999").status_code == 404
    response = client.post(
        "/coalitions/999999/progress", data={"csrf_token": csrf_token(client.get("/coalitions").text), "text": "x"}
    )
    assert response.status_code == 404


def test_a_form_without_its_csrf_token_is_refused(client, session, people, coalition) -> None:
    sign_in(client, session, people.fiji)
    response = client.post(f"/coalitions/{coalition.id}/progress", data={"text": "Forged"})
    assert response.status_code == 403
    assert session.exec(select(func.count()).select_from(CoalitionProgress)).one() == 0


def test_a_coalition_meeting_is_named_only_to_those_who_may_open_it(client, session, people, coalition) -> None:
    settings = get_settings()
    meeting = service.schedule_meeting(
        session,
        settings,
        user=people.coordinator,
        coalition=coalition,
        form=meetings.MeetingForm(
            title="Coalition talanoa",
            day="2031-05-06",
            start="09:00",
            duration=90,
            host_zone="Pacific/Fiji",
            format="virtual",
            link="https://meet.example.org/talanoa",
            body_key="sme",
        ),
    )
    service.add_action_item(
        session,
        user=people.coordinator,
        coalition=coalition,
        meeting_id=meeting.id,
        owner_state_id=state(session, "NZ").id,
        text="Confirm two police trainers",
        due_on="2031-06-01",
    )
    for person, opens in ((people.new_zealand, True), (people.samoa, False), (people.observer, False)):
        sign_in(client, session, person)
        page = client.get(f"/coalitions/{coalition.id}").text
        meeting_page = client.get(f"/meetings/{meeting.id}")
        assert (meeting_page.status_code == 200) == opens, person.display_name
        for words in ("Coalition talanoa", "Confirm two police trainers"):
            assert (words in page) == opens, f"{person.display_name} {'misses' if opens else 'reads'} {words!r}"
