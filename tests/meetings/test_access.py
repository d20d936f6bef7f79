"""Who sees what of a meeting: members of its body see everything; an invited non-member state and an invited
observer see the parts opened to observers and the published summary; anyone else finds nothing, even by
guessing addresses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import get_settings
from app.governance import service as governance
from app.governance.models import Body
from app.meetings import service as meetings
from app.meetings.models import ActionItem, Meeting, MeetingDocument
from tests.factories import make_user, page_csrf, sign_in, soup, state

LINK = "https://meet.example.org/sme"
MEMBERS_ITEM, OBSERVERS_ITEM = "Closed session on deployments", "Briefing with observers"
MEMBERS_PRESENTER, OBSERVERS_PRESENTER = "Fiji Military Forces", "Samoa Police Service"
MINUTES = "Fiji reported two officers ready for deployment."
ACTION = "Share the pre-deployment course outline"
SUMMARY = "Members and observers discussed regional training."


def coming_tuesday(after_days: int) -> date:
    day = date.today() + timedelta(days=after_days)
    return day + timedelta(days=(1 - day.weekday()) % 7)


@dataclass
class Scene:
    people: dict[str, User]
    meeting: Meeting
    members_document: MeetingDocument
    observers_document: MeetingDocument
    written_update: MeetingDocument
    action: ActionItem


def person(session: Session, role: str, name: str, code: str | None = None) -> User:
    extra = {"member_state_id": state(session, code).id} if code else {}
    return make_user(session, role=role, display_name=name, password=None, **extra)


def schedule(session: Session, coordinator: User, title: str, day: date) -> Meeting:
    form = meetings.MeetingForm(
        title=title,
        day=day.isoformat(),
        start="10:00",
        duration=120,
        host_zone="Pacific/Fiji",
        format="virtual",
        body_key="sme",
        link=LINK,
    )
    return meetings.create_meeting(session, get_settings(), user=coordinator, form=form)


def upload(session: Session, user: User, meeting: Meeting, filename: str, part: str = "members") -> MeetingDocument:
    rights = meetings.access(session, meeting, user)
    return meetings.upload(
        session,
        get_settings(),
        user=user,
        meeting=meeting,
        rights=rights,
        filename=filename,
        content=f"%PDF-1.7 {filename}".encode(),
        part=part,
    )


@pytest.fixture
def scene(session: Session) -> Scene:
    """An SME meeting with both parts filled in. Fiji and Samoa are members of the SME body; the Cook Islands
    and one observer are invited; Papua New Guinea's focal point and another observer are not; a second
    Samoan focal point was added after the invitations went out."""
    settings = get_settings()
    people = {
        "admin": person(session, "admin", "Ana Admin"),
        "coordinator": person(session, "coordinator", "Colin Coordinator"),
        "fiji": person(session, "focal_point", "Fiji Focal", "FJ"),
        "cook": person(session, "focal_point", "Cook Focal", "CK"),
        "observer": person(session, "observer", "Olive Observer"),
        "outsider": person(session, "focal_point", "Papua Focal", "PG"),
        "stranger": person(session, "observer", "Stan Stranger"),
    }
    coordinator = people["coordinator"]
    sme = session.exec(select(Body).where(Body.key == "sme")).one()
    for code in ("FJ", "WS"):
        governance.record_membership(session, settings, user=coordinator, body=sme, state=state(session, code))
    meeting = schedule(session, coordinator, "SME meeting", coming_tuesday(60))
    meetings.invite(
        session,
        settings,
        user=coordinator,
        meeting=meeting,
        state_ids=[state(session, "CK").id],
        observer_ids=[people["observer"].id],
    )
    people["samoa"] = person(session, "focal_point", "Samoa Focal", "WS")
    meetings.add_agenda_item(
        session,
        user=coordinator,
        meeting=meeting,
        title=MEMBERS_ITEM,
        presenter=MEMBERS_PRESENTER,
        duration=60,
        part="members",
    )
    meetings.add_agenda_item(
        session,
        user=coordinator,
        meeting=meeting,
        title=OBSERVERS_ITEM,
        presenter=OBSERVERS_PRESENTER,
        duration=30,
        part="observers",
    )
    members_document = upload(session, coordinator, meeting, "members-note.pdf")
    observers_document = upload(session, coordinator, meeting, "observer-brief.pdf", part="observers")
    written_update = upload(session, people["fiji"], meeting, "fiji-update.pdf")
    meetings.save_minutes(session, user=coordinator, meeting=meeting, text=MINUTES)
    action = meetings.add_action_item(
        session,
        user=coordinator,
        meeting=meeting,
        owner_state_id=state(session, "FJ").id,
        text=ACTION,
        due_on="2027-03-01",
    )
    return Scene(people, meeting, members_document, observers_document, written_update, action)


def view(client: TestClient, session: Session, user: User, path: str) -> Any:
    sign_in(client, session, user)
    return client.get(path)


def words(page: BeautifulSoup) -> str:
    return " ".join(page.main.get_text(" ").split())


def document_names(page: BeautifulSoup) -> set[str]:
    return {a.get_text(strip=True) for a in page.find(id="documents").select("ul a")}


FULL, OBSERVED, NOTHING = "full", "observers", "nothing"
SIGHT = {
    "admin": FULL,
    "coordinator": FULL,
    "fiji": FULL,
    "samoa": FULL,
    "cook": OBSERVED,
    "observer": OBSERVED,
    "outsider": NOTHING,
    "stranger": NOTHING,
}


@pytest.mark.parametrize("who", ["admin", "coordinator", "fiji", "samoa", "cook", "observer"])
def test_meeting_page_shows_members_only_parts_to_members_and_the_rest_to_invited_non_members(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    response = view(client, session, scene.people[who], f"/meetings/{scene.meeting.id}")

    assert response.status_code == 200
    page = soup(response.text)
    text = words(page)
    full = SIGHT[who] == FULL
    agenda = [li.get_text(" ", strip=True).split(" — ")[0] for li in page.find(id="agenda").select("ol > li")]
    assert agenda == ([MEMBERS_ITEM, OBSERVERS_ITEM] if full else [OBSERVERS_ITEM])
    assert (MINUTES in text) is full
    assert (page.find(id="minutes") is not None) is full
    assert (ACTION in text) is full
    assert (page.find(id="actions") is not None) is full
    expected = {"members-note.pdf", "observer-brief.pdf", "fiji-update.pdf"} if full else {"observer-brief.pdf"}
    assert document_names(page) == expected
    assert ("written update of Fiji" in text) is full


@pytest.mark.parametrize("who", sorted(SIGHT))
def test_documents_download_only_for_those_who_may_read_them(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    sign_in(client, session, scene.people[who])
    base = f"/meetings/{scene.meeting.id}/documents"

    statuses = {
        document.filename: client.get(f"{base}/{document.id}").status_code
        for document in (scene.members_document, scene.observers_document, scene.written_update)
    }

    sight = SIGHT[who]
    assert statuses == {
        "members-note.pdf": 200 if sight == FULL else 404,
        "observer-brief.pdf": 404 if sight == NOTHING else 200,
        "fiji-update.pdf": 200 if sight == FULL else 404,
    }


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_someone_not_invited_finds_no_meeting_page_calendar_file_or_document(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    sign_in(client, session, scene.people[who])
    base = f"/meetings/{scene.meeting.id}"

    responses = [
        client.get(base),
        client.get(f"{base}/calendar.ics"),
        client.get(f"{base}/documents/{scene.observers_document.id}"),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404]
    for response in responses:
        assert "SME meeting" not in response.text and OBSERVERS_ITEM not in response.text
    assert soup(responses[0].text).find(attrs={"role": "alert"}).get_text(strip=True) == "No such meeting."


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_someone_not_invited_cannot_answer_for_the_meeting(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    sign_in(client, session, scene.people[who])
    token = page_csrf(client, "/meetings")

    response = client.post(f"/meetings/{scene.meeting.id}/answer", data={"reply": "attending", "csrf_token": token})

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["cook", "observer", "fiji"])
def test_calendar_file_is_there_for_everyone_invited(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    response = view(client, session, scene.people[who], f"/meetings/{scene.meeting.id}/calendar.ics")

    assert response.status_code == 200
    assert scene.meeting.uid in response.text.replace("\r\n ", "")


def test_meeting_lists_leave_out_meetings_the_viewer_was_not_invited_to(
    client: TestClient, session: Session, scene: Scene
) -> None:
    link = f"/meetings/{scene.meeting.id}"
    for who, sees in (("outsider", False), ("stranger", False), ("cook", True), ("observer", True)):
        sign_in(client, session, scene.people[who])
        listing = soup(client.get("/meetings").text)
        board = soup(client.get("/dashboard").text)
        assert (listing.find("a", href=link) is not None) is sees, who
        assert (board.find(id="next-heading").find_next("ul").find("a", href=link) is not None) is sees, who


def test_guessed_ids_of_another_meetings_documents_are_not_found(
    client: TestClient, session: Session, scene: Scene
) -> None:
    coordinator = scene.people["coordinator"]
    other = schedule(session, coordinator, "Other SME meeting", coming_tuesday(90))
    elsewhere = upload(session, coordinator, other, "other-brief.pdf", part="observers")
    missing = session.exec(select(func.max(MeetingDocument.id))).one() + 1

    for who in ("cook", "observer", "fiji", "coordinator"):
        sign_in(client, session, scene.people[who])
        through_own = client.get(f"/meetings/{scene.meeting.id}/documents/{elsewhere.id}")
        never_made = client.get(f"/meetings/{scene.meeting.id}/documents/{missing}")
        assert through_own.status_code == never_made.status_code == 404, who
        assert b"other-brief" not in through_own.content
    for who in ("cook", "observer"):
        sign_in(client, session, scene.people[who])
        assert client.get(f"/meetings/{other.id}/documents/{elsewhere.id}").status_code == 404, who
        assert client.get(f"/meetings/{other.id}").status_code == 404, who


def test_chatham_house_rule_hides_presenters_from_non_members_only(
    client: TestClient, session: Session, scene: Scene
) -> None:
    path = f"/meetings/{scene.meeting.id}"
    assert OBSERVERS_PRESENTER in words(soup(view(client, session, scene.people["cook"], path).text))

    meetings.set_publication(
        session, user=scene.people["coordinator"], meeting=scene.meeting, summary="", publish=False, chatham_house=True
    )

    for who in ("cook", "observer"):
        text = words(soup(view(client, session, scene.people[who], path).text))
        assert OBSERVERS_ITEM in text and OBSERVERS_PRESENTER not in text, who
        assert "Chatham House rule" in text
    member = words(soup(view(client, session, scene.people["fiji"], path).text))
    assert OBSERVERS_PRESENTER in member and MEMBERS_PRESENTER in member


def summary_shown(client: TestClient, session: Session, user: User, meeting: Meeting) -> bool:
    part = soup(view(client, session, user, f"/meetings/{meeting.id}").text).find(id="publication")
    return SUMMARY in part.get_text(" ")


def test_summary_reaches_non_coordinators_only_once_published(
    client: TestClient, session: Session, scene: Scene
) -> None:
    coordinator = scene.people["coordinator"]
    meetings.set_publication(
        session, user=coordinator, meeting=scene.meeting, summary=SUMMARY, publish=False, chatham_house=False
    )
    readers = [scene.people[who] for who in ("fiji", "cook", "observer")]

    assert [summary_shown(client, session, user, scene.meeting) for user in readers] == [False, False, False]
    assert summary_shown(client, session, coordinator, scene.meeting)
    assert (
        "Not published: only coordinators see it."
        in soup(client.get(f"/meetings/{scene.meeting.id}").text).find(id="publication").get_text()
    )

    meetings.set_publication(
        session, user=coordinator, meeting=scene.meeting, summary=SUMMARY, publish=True, chatham_house=False
    )

    assert [summary_shown(client, session, user, scene.meeting) for user in readers] == [True, True, True]


HOSTILE = (
    "Decisions\n\n<script>alert('minutes')</script>\n\n<img src=x onerror=alert(1)>\n\n"
    "[details](javascript:alert(2)) and [the report](https://example.org/report)"
)


def test_minutes_and_summary_are_shown_without_anything_runnable(
    client: TestClient, session: Session, scene: Scene
) -> None:
    coordinator = scene.people["coordinator"]
    meetings.save_minutes(session, user=coordinator, meeting=scene.meeting, text=HOSTILE)
    meetings.set_publication(
        session, user=coordinator, meeting=scene.meeting, summary=HOSTILE, publish=True, chatham_house=False
    )

    for who, parts in (("fiji", ("minutes", "publication")), ("observer", ("publication",))):
        page = soup(view(client, session, scene.people[who], f"/meetings/{scene.meeting.id}").text)
        assert [tag.get("src", "") for tag in page.find_all("script")] == [
            tag.get("src") for tag in page.head.find_all("script")
        ], "only the page's own scripts"
        for name in parts:
            prose = page.find(id=name).select_one("div.prose")
            assert prose.find_all(["script", "img", "iframe"]) == [], who
            assert [a["href"] for a in prose.find_all("a")] == ["https://example.org/report"]
            assert not any(attribute.startswith("on") for tag in prose.find_all(True) for attribute in tag.attrs)
            assert "<script>alert('minutes')</script>" in prose.get_text(), "raw HTML is shown as text"


def test_dashboard_lists_minutes_only_for_members_of_the_meetings_body(
    client: TestClient, session: Session, scene: Scene
) -> None:
    link = f"/meetings/{scene.meeting.id}#minutes"
    for who, sees in (("fiji", True), ("samoa", True), ("cook", False), ("observer", False)):
        board = soup(view(client, session, scene.people[who], "/dashboard").text)
        found = board.find(id="minutes-heading").find_next("ul").find("a", href=link)
        assert (found is not None) is sees, who


def test_invited_non_member_state_cannot_post_a_written_update(
    client: TestClient, session: Session, scene: Scene
) -> None:
    page = soup(view(client, session, scene.people["cook"], f"/meetings/{scene.meeting.id}").text)
    assert page.find("form", action=f"/meetings/{scene.meeting.id}/documents") is None
    before = session.exec(select(func.count()).select_from(MeetingDocument)).one()

    response = client.post(
        f"/meetings/{scene.meeting.id}/documents",
        data={"csrf_token": page_csrf(client, "/meetings")},
        files={"file": ("cook-update.pdf", b"%PDF-1.7 cook", "application/pdf")},
    )

    assert response.status_code == 403
    assert (
        soup(response.text).find(id="documents").find(attrs={"role": "alert"}).get_text(strip=True)
        == "Only member states post written updates to this meeting."
    )
    assert session.exec(select(func.count()).select_from(MeetingDocument)).one() == before


@pytest.mark.parametrize("who", ["samoa", "cook"])
def test_only_the_owner_states_focal_point_moves_its_action_item_on(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    sign_in(client, session, scene.people[who])

    response = client.post(
        f"/meetings/{scene.meeting.id}/action-items/{scene.action.id}",
        data={"status": "done", "csrf_token": page_csrf(client, "/meetings")},
    )

    assert response.status_code == 403
    session.refresh(scene.action)
    assert scene.action.status == "open"


@pytest.mark.parametrize("who", ["fiji", "cook", "observer"])
def test_non_coordinators_see_no_forms_that_run_the_meeting_nor_others_answers(
    client: TestClient, session: Session, scene: Scene, who: str
) -> None:
    page = soup(view(client, session, scene.people[who], f"/meetings/{scene.meeting.id}").text)

    actions = {form["action"].removeprefix(f"/meetings/{scene.meeting.id}") for form in page.main.find_all("form")}

    assert actions <= {"/answer", "/documents", f"/action-items/{scene.action.id}"}
    assert page.find("caption", string="Answers") is None


def test_calendar_feed_lists_only_the_meetings_its_owner_may_see(
    client: TestClient, session: Session, scene: Scene
) -> None:
    found = {}
    for who in ("cook", "outsider"):
        token = meetings.new_feed(session, user=scene.people[who])
        found[who] = scene.meeting.uid in client.get(f"/calendar/{token}.ics").text.replace("\r\n ", "")

    assert found == {"cook": True, "outsider": False}
