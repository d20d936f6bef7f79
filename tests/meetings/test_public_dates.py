"""The public page names the place and date of each published meeting summary as the host lived it, and a signed-in
reader's own date where it differs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import get_settings
from app.meetings import service
from tests.factories import make_user, sign_in, soup

LINK = "https://meet.example.org/sme"


def published(session: Session, **where: str) -> None:
    """A meeting at 10:00 on Monday 5 April 2027 in Rarotonga (Monday 20:00 UTC, Tuesday in Suva), summary
    published."""
    coordinator = make_user(session, role="coordinator", password=None)
    meeting = service.create_meeting(
        session,
        get_settings(),
        user=coordinator,
        form=service.MeetingForm(
            title="Rarotonga SME meeting",
            day="2027-04-05",
            start="10:00",
            duration=120,
            host_zone="Pacific/Rarotonga",
            format=where.get("format", "virtual"),
            link=LINK,
            venue=where.get("venue", ""),
            city=where.get("city", ""),
            body_key="sme",
        ),
    )
    service.set_publication(
        session, user=coordinator, meeting=meeting, summary="Agreed.", publish=True, chatham_house=True
    )


def summary_date(client: TestClient, **headers: str) -> str:
    section = soup(client.get("/", headers=headers).text).find(id="summaries-heading").find_parent("section")
    return section.find("p", class_="hint").get_text(" ", strip=True)


def test_a_published_summary_is_dated_at_the_hosts_place(client: TestClient, session: Session) -> None:
    published(session)

    assert summary_date(client) == "Rarotonga, Monday 5 April 2027"
    assert summary_date(client, **{"Accept-Language": "fr"}) == "Rarotonga, lundi 5 avril 2027"


def test_a_meeting_in_a_city_is_dated_there(client: TestClient, session: Session) -> None:
    published(session, format="hybrid", venue="Hotel", city="Avarua")

    assert summary_date(client) == "Avarua, Monday 5 April 2027"


def test_a_reader_whose_date_differs_reads_it_beside_the_hosts(client: TestClient, session: Session) -> None:
    published(session)
    reader = make_user(session, role="observer", password=None)
    reader.time_zone = "Pacific/Fiji"
    session.add(reader)
    session.commit()
    sign_in(client, session, reader)

    assert summary_date(client) == "Rarotonga, Monday 5 April 2027 · Suva, Tuesday 6 April 2027 where you are"

    reader.time_zone = "Pacific/Tahiti"  # the same Monday there
    session.add(reader)
    session.commit()
    assert summary_date(client) == "Rarotonga, Monday 5 April 2027"
