"""The training pages as their users meet them: who sees a candidate, the CSV export, erasure, the calendar feed of
offers, bad input in both languages, and list pages whose query count does not grow with the data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlmodel import Session, func, select

from app.core.config import get_settings
from app.core.db import get_engine
from app.meetings import service as meetings
from app.training import service
from app.training.models import Nomination, NominationEvent, TrainingOffer
from tests.factories import QueryLog, csrf_token, make_user, sign_in, soup, state


def course(
    session: Session,
    coordinator: Any,
    *,
    title: str = "SAAT preparation",
    seats: int = 4,
    per_state: int = 2,
    days_ahead: int = 40,
) -> TrainingOffer:
    """A published police course Fiji provides, starting `days_ahead` days from today."""
    start = date.today() + timedelta(days=days_ahead)
    offer = service.create_offer(
        session,
        user=coordinator,
        form=service.OfferForm(
            title=title,
            course_type="saat-preparation",
            track="police",
            starts_on=start.isoformat(),
            ends_on=(start + timedelta(days=4)).isoformat(),
            deadline_on=(start - timedelta(days=10)).isoformat(),
            seats=seats,
            seats_per_state=per_state,
            languages=["en", "fr"],
            online=True,
            provider_state="FJ",
            zone="Pacific/Fiji",
        ),
    )
    service.set_status(session, get_settings(), user=coordinator, offer=offer, status="published")
    return offer


def focal_point(session: Session, code: str, **fields: Any) -> Any:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, **fields)


def nominate(session: Session, offer: TrainingOffer, user: Any, name: str, gender: str = "woman") -> Nomination:
    return service.nominate(
        session,
        user=user,
        offer=offer,
        form=service.CandidateForm(full_name=name, gender=gender, rank="Constable", notes="Speaks Samoan"),
    )


@pytest.fixture
def cast(session: Session) -> dict[str, Any]:
    coordinator = make_user(session, role="coordinator")
    return {
        "coordinator": coordinator,
        "provider": focal_point(session, "FJ"),
        "samoa": focal_point(session, "WS"),
        "tonga": focal_point(session, "TO"),
        "observer": make_user(session, role="observer"),
        "admin": make_user(session, role="admin"),
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [("samoa", 200), ("provider", 200), ("coordinator", 200), ("admin", 200), ("tonga", 404), ("observer", 403)],
)
def test_a_candidate_page_is_shown_only_to_their_state_the_provider_and_the_staff(
    client: Any, session: Session, cast: dict[str, Any], who: str, status: int
) -> None:
    offer = course(session, cast["coordinator"])
    nomination = nominate(session, offer, cast["samoa"], "Sina Leota")
    sign_in(client, session, cast[who])
    response = client.get(f"/training/nominations/{nomination.id}")
    assert response.status_code == status
    assert ("Sina Leota" in response.text) == (status == 200)


def test_the_offer_page_lists_candidates_only_for_those_who_may_see_them(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    offer = course(session, cast["coordinator"])
    nominate(session, offer, cast["samoa"], "Sina Leota")
    nominate(session, offer, cast["tonga"], "Mele Taufa")
    sign_in(client, session, cast["tonga"])
    page = client.get(f"/training/{offer.id}").text
    assert "Mele Taufa" in page and "Sina Leota" not in page
    sign_in(client, session, cast["observer"])
    page = client.get(f"/training/{offer.id}").text
    assert "Mele Taufa" not in page and "Sina Leota" not in page
    sign_in(client, session, cast["provider"])
    page = client.get(f"/training/{offer.id}").text
    assert "Mele Taufa" in page and "Sina Leota" in page


def test_the_csv_export_is_an_attachment_for_the_provider_with_formulas_made_harmless(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    offer = course(session, cast["coordinator"])
    nominate(session, offer, cast["samoa"], '=HYPERLINK("http://evil.example","x")')
    sign_in(client, session, cast["provider"])
    response = client.get(f"/training/{offer.id}/nominations.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="nominations-{offer.id}.csv"'
    lines = response.text.splitlines()
    assert lines[0].startswith("\ufeffState,Preference,Full name,Rank or grade")
    assert "Samoa,1,\"'=HYPERLINK" in lines[1]
    for who, status in (("samoa", 403), ("observer", 403)):
        sign_in(client, session, cast[who])
        assert client.get(f"/training/{offer.id}/nominations.csv").status_code == status
    assert client.get("/training/999999/nominations.csv").status_code == 403  # the observer's role goes first


def test_erasing_a_candidate_removes_their_details_everywhere_and_keeps_the_counts(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    offer = course(session, cast["coordinator"])
    nomination = nominate(session, offer, cast["samoa"], "Sina Leota")
    service.allocate(
        session,
        get_settings(),
        user=cast["coordinator"],
        offer=offer,
        decisions={nomination.id: "declined"},
        reasons={nomination.id: "Sina Leota lacks the rank"},
    )  # type: ignore[dict-item]
    before = service.report(session)[0]
    sign_in(client, session, cast["samoa"])
    page = client.get(f"/training/nominations/{nomination.id}")
    response = client.post(
        f"/training/nominations/{nomination.id}/erase",
        data={"csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Sina Leota" not in client.get(f"/training/nominations/{nomination.id}").text
    sign_in(client, session, cast["provider"])
    assert "Sina Leota" not in client.get(f"/training/{offer.id}/nominations.csv").text
    session.refresh(nomination)
    assert (nomination.full_name, nomination.rank, nomination.notes, nomination.reason) == ("", "", "", "")
    assert (nomination.gender, nomination.status) == ("woman", "declined")
    notes = session.exec(select(NominationEvent.note).where(NominationEvent.nomination_id == nomination.id)).all()
    assert not any("Sina" in note for note in notes)
    assert service.report(session)[0] == before


def test_the_offers_feed_lists_the_visible_courses_as_whole_days_and_a_revoked_link_stops_working(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    offer = course(session, cast["coordinator"], title="Gender adviser course")
    draft = service.create_offer(
        session,
        user=cast["coordinator"],
        form=service.OfferForm(
            title="Unpublished draft",
            course_type="gender-adviser",
            track="any",
            starts_on=offer.starts_on.isoformat(),
            ends_on=offer.ends_on.isoformat(),
            deadline_on=offer.deadline_on.isoformat(),
            seats=5,
            seats_per_state=1,
            languages=["en"],
            online=True,
            provider_state="FJ",
            zone="Pacific/Fiji",
        ),
    )
    token = meetings.new_feed(session, user=cast["samoa"])
    response = client.get(f"/training/calendar/{token}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(response.text).walk("VEVENT")}
    assert "Unpublished draft" not in events and draft.id
    event = events["Gender adviser course"]
    assert event.decoded("dtstart") == offer.starts_on
    assert event.decoded("dtend") == offer.ends_on + timedelta(days=1)
    meetings.revoke_feed(session, user=cast["samoa"])
    assert client.get(f"/training/calendar/{token}.ics").status_code == 404


def offer_form(page: str, **changes: str) -> dict[str, Any]:
    start = date.today() + timedelta(days=30)
    fields: dict[str, Any] = {
        "csrf_token": csrf_token(page),
        "title": "Protection of civilians",
        "course_type": "protection-of-civilians",
        "track": "any",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=3)).isoformat(),
        "deadline_on": (start - timedelta(days=5)).isoformat(),
        "seats": "10",
        "seats_per_state": "2",
        "languages": ["en"],
        "online": "yes",
        "zone": "Pacific/Fiji",
    }
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "The course ends before it starts."), ("fr", "Le cours se termine avant de commencer.")],
)
def test_an_offer_that_ends_before_it_starts_is_refused_in_the_users_language_and_nothing_is_saved(
    client: Any, session: Session, language: str, message: str
) -> None:
    provider = focal_point(session, "FJ", language=language)
    sign_in(client, session, provider)
    page = client.get("/training/new").text
    start = date.today() + timedelta(days=30)
    response = client.post("/training", data=offer_form(page, ends_on=(start - timedelta(days=1)).isoformat()))
    assert response.status_code == 400
    assert soup(response.text).find(role="alert").get_text(strip=True) == message
    assert session.exec(select(func.count()).select_from(TrainingOffer)).one() == 0


def test_a_nomination_after_the_deadline_is_refused_and_nothing_is_saved(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    offer = course(session, cast["coordinator"])
    sign_in(client, session, cast["samoa"])
    page = client.get(f"/training/{offer.id}").text
    offer.deadline_on = date.today() - timedelta(days=2)
    session.add(offer)
    session.commit()
    response = client.post(
        f"/training/{offer.id}/nominations",
        data={"csrf_token": csrf_token(page), "full_name": "Late Candidate", "gender": "man"},
    )
    assert response.status_code == 409
    assert "The nomination deadline has passed." in response.text
    assert session.exec(select(func.count()).select_from(Nomination)).one() == 0


def test_a_post_without_the_form_token_is_refused_and_changes_nothing(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    offer = course(session, cast["coordinator"])
    sign_in(client, session, cast["provider"])
    response = client.post(f"/training/{offer.id}/status", data={"status": "cancelled"})
    assert response.status_code == 403
    session.refresh(offer)
    assert offer.status == "published"


def test_the_catalogue_and_reports_run_as_many_queries_for_many_offers_as_for_few(
    client: Any, session: Session, cast: dict[str, Any]
) -> None:
    samoa, tonga = cast["samoa"], cast["tonga"]

    def queries(path: str) -> int:
        with QueryLog(get_engine()) as log:
            assert client.get(path).status_code == 200
        return len(log.statements)

    def add_courses(count: int) -> None:
        for number in range(count):
            offer = course(session, cast["coordinator"], title=f"Course {number}", days_ahead=40 + number)
            nominate(session, offer, samoa, f"Samoan {number}")
            nominate(session, offer, tonga, f"Tongan {number}", gender="man")

    sign_in(client, session, cast["provider"])
    add_courses(2)
    few = {path: queries(path) for path in ("/training", "/training/reports", "/training/certified")}
    add_courses(10)
    many = {path: queries(path) for path in ("/training", "/training/reports", "/training/certified")}
    assert many == few
