"""Answering from the invitation email: what the email says to each person (their day, their agenda, what
changed), its HTML alternative, and the one-click links: opening one changes nothing, confirming records the
answer the coordinator then sees, and every bad link is refused with its own heading and nothing changed."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.auth import service as accounts
from app.auth.models import User
from app.core import clock
from app.core.config import Settings
from app.meetings import service
from app.meetings.models import AnswerLink, Invitation, Meeting
from app.outbox.models import OutboxMessage
from app.outbox.service import build_email
from tests.factories import csrf_token, page_csrf, sign_in, soup
from tests.meetings.conftest import Cast, MeetingFactory, focal_point, outbox_for

ANSWER_URL = re.compile(r"http://testserver(/answer/[\w-]+)")


def invite_members(
    session: Session, settings: Settings, cast: Cast, meeting: Meeting, observer_ids: tuple[int, ...] = ()
) -> int:
    return service.invite(
        session, settings, user=cast.coordinator, meeting=meeting, state_ids=[], observer_ids=observer_ids
    )


def living_in(session: Session, code: str, zone: str, name: str, **overrides: object) -> User:
    """Another focal point of `code`, living in `zone`."""
    person = focal_point(session, code, display_name=name, **overrides)
    accounts.update_preferences(session, user=person, language=person.language, time_zone=zone)
    return person


def links_of(message: OutboxMessage) -> tuple[str, str]:
    """The paths of the email's "I will attend" and "I will not attend" links, in that order."""
    attend = re.search(r"I will attend: http://testserver(/answer/[\w-]+)", message.body)
    decline = re.search(r"I will not attend: http://testserver(/answer/[\w-]+)", message.body)
    assert attend and decline, message.body
    return attend.group(1), decline.group(1)


def html_of(message: OutboxMessage) -> BeautifulSoup:
    assert message.html is not None, "the message has an HTML alternative"
    return BeautifulSoup(message.html, "html.parser")


def invitation_of(session: Session, meeting: Meeting, user: User) -> Invitation:
    found = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id)
    ).one()
    session.refresh(found)
    return found


def audits(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def heading(response: Response) -> str:
    return soup(response.text).h1.get_text(" ", strip=True)


# What the email says


def test_niue_and_kiritimati_read_the_same_meeting_on_different_days(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    """10:00 on Tuesday, 13 July 2027 in Suva is Monday 11:00 in Niue (UTC−11) and Tuesday 12:00 in Kiritimati
    (UTC+14): each reads their own weekday and date, in the text and in the HTML, with the host's time beside."""
    niue = living_in(session, "CK", "Pacific/Niue", "Nia Niue")
    kiritimati = living_in(session, "WS", "Pacific/Kiritimati", "Kiri Line")
    invite_members(session, settings, cast, make_meeting())

    (to_niue,) = outbox_for(session, niue)
    (to_kiritimati,) = outbox_for(session, kiritimati)

    host = "Tuesday, 13 July 2027, 10:00 UTC+12 at the host"
    assert f"Monday, 12 July 2027, 11:00 UTC-11 (your time); {host}" in to_niue.body
    assert f"Tuesday, 13 July 2027, 12:00 UTC+14 (your time); {host}" in to_kiritimati.body
    assert "Monday, 12 July 2027, 11:00 UTC-11" in html_of(to_niue).get_text()
    assert "Tuesday, 13 July 2027, 12:00 UTC+14" in html_of(to_kiritimati).get_text()
    for message in (to_niue, to_kiritimati):
        assert "Meeting: Quarterly SME meeting" in message.body
        assert "Format: Virtual" in message.body and "Link: https://meet.example.org/sme" in message.body
        assert "Convened by: " in message.body, "the email names the body the meeting belongs to"


def test_a_french_reader_gets_text_and_html_in_french(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    francophone = living_in(session, "CK", "Pacific/Niue", "Camille Niue", language="fr")
    invite_members(session, settings, cast, make_meeting(title_fr="Réunion trimestrielle"))
    (message,) = outbox_for(session, francophone)
    assert message.subject.startswith("Invitation") and "Réunion trimestrielle" in message.subject
    assert "lundi 12 juillet 2027, 11:00 UTC-11" in message.body
    assert "Réunion\u00a0: Réunion trimestrielle" in message.body, "French puts a non-breaking space before a colon"
    html = html_of(message)
    assert html.html["lang"] == "fr"
    assert "Je participerai" in html.get_text() and "Je ne participerai pas" in html.get_text()


def test_the_email_lists_only_the_agenda_items_the_recipient_may_read(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    for title, part in (
        ("Opening", "observers"),
        ("Closed-door briefing", "members"),
        ("Partner updates", "observers"),
    ):
        service.add_agenda_item(
            session, user=cast.coordinator, meeting=meeting, title=title, presenter="Chair", duration=20, part=part
        )
    invite_members(session, settings, cast, meeting, observer_ids=(cast.observer.id,))

    (member,) = outbox_for(session, cast.focal["FJ"])
    (observer,) = outbox_for(session, cast.observer)

    assert "1. Opening (Chair, 20 min)\n2. Closed-door briefing (Chair, 20 min)\n3. Partner updates" in member.body
    assert "Closed-door briefing" not in observer.body and "Closed-door briefing" not in (observer.html or "")
    assert "1. Opening (Chair, 20 min)\n2. Partner updates (Chair, 20 min)" in observer.body
    assert "Some parts of the agenda are for the members only." in observer.body
    assert [li.get_text() for li in html_of(observer).find("ol").find_all("li")] == [
        "Opening (Chair, 20 min)",
        "Partner updates (Chair, 20 min)",
    ]


def test_the_html_alternative_is_escaped_self_contained_and_sent_with_the_text_and_the_calendar(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting(title='Ops <b>review</b> & "plans"')
    service.add_agenda_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        title="<script>alert(1)</script>",
        presenter="",
        duration=10,
        part="members",
    )
    invite_members(session, settings, cast, meeting)
    (message,) = outbox_for(session, cast.focal["FJ"])

    assert message.html is not None
    assert "<script>" not in message.html and "<b>review</b>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    html = html_of(message)
    assert not html.find_all(["img", "link", "script", "style", "iframe"]) and "src=" not in message.html
    hrefs = [a["href"] for a in html.find_all("a")]
    assert len(hrefs) == 4 and all(h.startswith(("http://testserver/", "https://meet.example.org/")) for h in hrefs)

    email: EmailMessage = build_email(message, settings)
    parts = [part.get_content_type() for part in email.walk()]
    assert parts == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"]


def test_a_move_says_what_changed_before_and_after_in_the_readers_zones(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    niue = living_in(session, "CK", "Pacific/Niue", "Nia Niue")
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)

    service.move_meeting(
        session, settings, user=cast.coordinator, meeting=meeting, day="2027-07-14", start="09:00", duration=120,
        host_zone="Pacific/Fiji",
    )  # fmt: skip

    first, change = outbox_for(session, niue)
    assert change.subject == "Changed: Quarterly SME meeting"
    assert (
        "Changed:\n"
        "- Your time: Monday, 12 July 2027, 11:00 UTC-11 → Tuesday, 13 July 2027, 10:00 UTC-11\n"
        "- Host time: Tuesday, 13 July 2027, 10:00 UTC+12 → Wednesday, 14 July 2027, 09:00 UTC+12"
    ) in change.body
    assert "Venue:" not in change.body.split("Changed:")[1].split("\n\n")[0], "only what changed is listed"
    items = [li.get_text(" ", strip=True) for li in html_of(change).find("ul").find_all("li")]
    assert items[0].startswith("Your time: Monday, 12 July 2027, 11:00 UTC-11 → Tuesday, 13 July 2027")
    assert first.body != change.body and links_of(first) != links_of(change)


def test_a_cancellation_says_what_was_cancelled_and_when_it_was_planned_with_no_answer_links(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    kiritimati = living_in(session, "WS", "Pacific/Kiritimati", "Kiri Line")
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)

    cancellation = outbox_for(session, kiritimati)[-1]
    assert cancellation.subject == "Cancelled: Quarterly SME meeting"
    assert (
        'The meeting "Quarterly SME meeting" planned for Tuesday, 13 July 2027, 12:00 UTC+14 (your time); '
        "Tuesday, 13 July 2027, 10:00 UTC+12 at the host is cancelled." in cancellation.body
    )
    assert "/answer/" not in cancellation.body and "/answer/" not in (cancellation.html or "")


# Answering with a link


@pytest.fixture
def invited(session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory) -> Meeting:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    return meeting


def test_opening_a_link_changes_nothing_and_confirming_records_the_answer_the_coordinator_sees(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    fiji = cast.focal["FJ"]
    attend, _ = links_of(outbox_for(session, fiji)[0])
    entries = audits(session)

    page = client.get(attend)

    assert page.status_code == 200
    assert heading(page) == "Confirm: I will attend"
    assert "Quarterly SME meeting" in page.text and "Tuesday, 13 July 2027, 10:00 UTC+12" in page.text
    assert invitation_of(session, invited, fiji).answer == "" and audits(session) == entries, "a GET changes nothing"

    done = client.post(attend, data={"csrf_token": csrf_token(page.text)})

    assert done.status_code == 200
    assert heading(done) == "Answer recorded"
    assert "has been recorded: Attending" in done.text
    assert soup(done.text).find("a", href=f"/meetings/{invited.id}") is not None
    assert invitation_of(session, invited, fiji).answer == "attending"
    entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert entry is not None and entry.action == "answer" and entry.actor_id == fiji.id
    assert "email link" in str(entry.after)

    client.cookies.clear()
    sign_in(client, session, cast.coordinator)
    answers = soup(client.get(f"/meetings/{invited.id}").text)
    row = next(tr for tr in answers.find_all("tr") if tr.th and tr.th.get_text(strip=True) == fiji.display_name)
    assert "Attending" in row.get_text()


def test_the_other_link_of_the_same_email_changes_the_answer(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    fiji = cast.focal["FJ"]
    attend, decline = links_of(outbox_for(session, fiji)[0])
    for path in (attend, decline):
        client.post(path, data={"csrf_token": csrf_token(client.get(path).text)})
    assert invitation_of(session, invited, fiji).answer == "not_attending"


def test_confirming_without_the_forms_token_is_refused(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    client.get(attend)
    refused = client.post(attend, data={})
    assert refused.status_code == 403
    assert invitation_of(session, invited, cast.focal["FJ"]).answer == ""


def refused(client: TestClient, session: Session, meeting: Meeting, person: User, path: str) -> Response:
    """Opens and posts `path` (with the visitor's CSRF token); both must be refused with the same page and nothing
    changed."""
    entries, before = audits(session), invitation_of(session, meeting, person).answer
    opened = client.get(path)
    posted = client.post(path, data={"csrf_token": page_csrf(client)})
    assert opened.status_code == posted.status_code >= 400
    assert heading(opened) == heading(posted)
    assert heading(opened) != "Something went wrong"
    assert audits(session) == entries and invitation_of(session, meeting, person).answer == before
    return opened


@pytest.mark.parametrize(
    "path",
    [
        "/answer/" + "x" * 43,
        "/answer/" + "a" * 5000,
        "/answer/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/answer/..%2F..%2Fetc",
        "/answer/%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83",
    ],
)
def test_unknown_huge_or_garbage_links_are_not_recognised(
    client: TestClient, session: Session, cast: Cast, invited: Meeting, path: str
) -> None:
    page = refused(client, session, invited, cast.focal["FJ"], path)
    assert page.status_code == 404 and heading(page) == "Link not recognised"
    assert "<script>alert" not in page.text


def test_a_tampered_link_is_not_recognised(client: TestClient, session: Session, cast: Cast, invited: Meeting) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    tampered = attend[:-1] + ("A" if attend[-1] != "A" else "B")
    page = refused(client, session, invited, cast.focal["FJ"], tampered)
    assert heading(page) == "Link not recognised"


def test_a_used_link_is_refused_as_used(client: TestClient, session: Session, cast: Cast, invited: Meeting) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    client.post(attend, data={"csrf_token": csrf_token(client.get(attend).text)})
    page = refused(client, session, invited, cast.focal["FJ"], attend)
    assert page.status_code == 409 and heading(page) == "Link already used"


def test_an_expired_link_is_refused(client: TestClient, session: Session, cast: Cast, invited: Meeting) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    session.execute(update(AnswerLink).values(expires_at=clock.now() - timedelta(minutes=1)))
    session.commit()
    page = refused(client, session, invited, cast.focal["FJ"], attend)
    assert page.status_code == 410 and heading(page) == "Link expired"


def test_a_link_of_an_ended_meeting_is_refused(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    invited.starts_at, invited.ends_at = clock.now() - timedelta(hours=3), clock.now() - timedelta(hours=1)
    session.add(invited)
    session.commit()
    page = refused(client, session, invited, cast.focal["FJ"], attend)
    assert page.status_code == 410 and heading(page) == "Meeting over"
    assert "Quarterly SME meeting" in page.text


def test_a_link_of_a_cancelled_meeting_is_refused(
    client: TestClient, session: Session, settings: Settings, cast: Cast, invited: Meeting
) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=invited)
    page = refused(client, session, invited, cast.focal["FJ"], attend)
    assert page.status_code == 409 and heading(page) == "Meeting cancelled"


def test_a_link_replaced_by_a_newer_email_is_refused(
    client: TestClient, session: Session, settings: Settings, cast: Cast, invited: Meeting
) -> None:
    old, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    service.move_meeting(
        session, settings, user=cast.coordinator, meeting=invited, day="2027-07-14", start="09:00", duration=120,
        host_zone="Pacific/Fiji",
    )  # fmt: skip
    page = refused(client, session, invited, cast.focal["FJ"], old)
    assert heading(page) == "Link replaced"
    new, _ = links_of(outbox_for(session, cast.focal["FJ"])[-1])
    assert client.get(new).status_code == 200


def test_someone_signed_in_as_another_person_is_refused_and_told_so(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    sign_in(client, session, cast.focal["WS"])
    page = refused(client, session, invited, cast.focal["FJ"], attend)
    assert page.status_code == 403 and heading(page) == "Signed in as someone else"
    assert "You are signed in as Focal WS" in page.text


def test_the_invited_person_signed_in_may_use_their_own_link(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    _, decline = links_of(outbox_for(session, cast.focal["FJ"])[0])
    sign_in(client, session, cast.focal["FJ"])
    page = client.get(decline)
    assert heading(page) == "Confirm: I will not attend"
    client.post(decline, data={"csrf_token": csrf_token(page.text)})
    assert invitation_of(session, invited, cast.focal["FJ"]).answer == "not_attending"


def test_refusals_are_in_the_readers_language(
    client: TestClient, session: Session, cast: Cast, invited: Meeting
) -> None:
    attend, _ = links_of(outbox_for(session, cast.focal["FJ"])[0])
    client.post(attend, data={"csrf_token": csrf_token(client.get(attend).text)})
    french = {"Accept-Language": "fr"}
    assert heading(client.get(attend, headers=french)) == "Lien déjà utilisé"
    assert heading(client.get("/answer/" + "x" * 43, headers=french)) == "Lien non reconnu"


def test_only_the_hash_of_a_link_is_stored(session: Session, cast: Cast, invited: Meeting) -> None:
    attend, decline = links_of(outbox_for(session, cast.focal["FJ"])[0])
    stored = set(session.exec(select(AnswerLink.token_hash)).all())
    for path in (attend, decline):
        token = path.rsplit("/", 1)[1]
        assert token not in stored
        assert service.link_hash(token) in stored
