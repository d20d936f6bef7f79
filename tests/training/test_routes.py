"""The training pages through HTTP: refused input explained in the user's language with nothing saved, the
catalogue's filters and its htmx fragment, drafts hidden from other eyes, the allocation preview, the offers feed,
the form token, and list pages whose query count does not grow with the data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.core import paging
from app.core.config import get_settings
from app.core.db import get_engine
from app.meetings import service as meetings
from app.outbox.models import OutboxMessage
from app.training import service
from app.training.models import Nomination, NominationEvent, OfferEvent, TrainingOffer
from tests.factories import QueryLog, alerts, csrf_token, make_user, sign_in, soup, state

FORM_EXPIRED = "This form has expired or did not come from this portal. Reload the page and try again."


# Arranging courses, people and candidates


def focal_point(session: Session, code: str, **fields: Any) -> User:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, password=None, **fields)


def staff(session: Session, role: str, **fields: Any) -> User:
    return make_user(session, role=role, password=None, **fields)


def course_form(*, days_ahead: int = 40, length: int = 5, **changes: Any) -> service.OfferForm:
    """A police SAAT course online, provided by Fiji, starting `days_ahead` days from today, 4 seats, 2 per state;
    keyword arguments replace fields."""
    start = date.today() + timedelta(days=days_ahead)
    fields: dict[str, Any] = {
        "title": "SAAT preparation",
        "course_type": "saat-preparation",
        "track": "police",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=length - 1)).isoformat(),
        "deadline_on": (start - timedelta(days=10)).isoformat(),
        "seats": 4,
        "seats_per_state": 2,
        "languages": ["en"],
        "online": True,
        "provider_state": "FJ",
        "zone": "Pacific/Fiji",
    }
    fields.update(changes)
    return service.OfferForm(**fields)


def course(session: Session, by: User, *, publish: bool = True, **changes: Any) -> TrainingOffer:
    """The course of `course_form(**changes)` offered by `by`, published unless told otherwise."""
    offer = service.create_offer(session, user=by, form=course_form(**changes))
    if publish:
        service.set_status(session, get_settings(), user=by, offer=offer, status="published")
    return offer


def candidate(session: Session, offer: TrainingOffer, by: User, name: str, gender: str = "woman") -> Nomination:
    return service.nominate(
        session,
        user=by,
        offer=offer,
        form=service.CandidateForm(full_name=name, gender=gender, rank="Sergeant", service="Police"),
    )


def decide(session: Session, manager: User, offer: TrainingOffer, decisions: dict[int, str]) -> None:
    service.allocate(session, get_settings(), user=manager, offer=offer, decisions=decisions, reasons={})


def move_into_the_past(session: Session, offer: TrainingOffer, *, started_days_ago: int) -> None:
    """Puts the course's dates behind us, the way time would."""
    offer.starts_on = date.today() - timedelta(days=started_days_ago)
    offer.ends_on = offer.starts_on + timedelta(days=4)
    offer.deadline_on = offer.starts_on - timedelta(days=10)
    session.add(offer)
    session.commit()


# Reading pages and the database


def alert(html: str) -> str:
    """The text of the page's error message, spaces normalised."""
    found = soup(html).find(attrs={"role": "alert"})
    assert found is not None, "the page shows no error message"
    return " ".join(found.get_text(" ").split())


def text_of(node: Any) -> str:
    return " ".join(node.get_text(" ").split())


def listed(html: str) -> set[str]:
    """The titles of the offers in the catalogue's table."""
    return {link.get_text(strip=True) for link in soup(html).select("tbody th[scope=row] a")}


def snapshot(session: Session) -> dict[str, Any]:
    """Everything a refused request must leave as it was: offers, nominations, their histories, mail, audit."""
    session.expire_all()

    def count(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    return {
        "offers": session.exec(
            select(
                TrainingOffer.id,
                TrainingOffer.title,
                TrainingOffer.status,
                TrainingOffer.starts_on,
                TrainingOffer.ends_on,
                TrainingOffer.deadline_on,
                TrainingOffer.seats,
                TrainingOffer.seats_per_state,
            ).order_by(col(TrainingOffer.id))
        ).all(),
        "nominations": session.exec(
            select(
                Nomination.id,
                Nomination.full_name,
                Nomination.status,
                Nomination.preference,
                Nomination.outcome,
                Nomination.outcome_on,
                Nomination.erased_at,
            ).order_by(col(Nomination.id))
        ).all(),
        "offer events": count(OfferEvent),
        "nomination events": count(NominationEvent),
        "mail": count(OutboxMessage),
        "audit": count(AuditEntry),
    }


# Refused input: a clear message, the right status, nothing saved


def offer_fields(**changes: Any) -> dict[str, Any]:
    """What a provider types into the offer form: a course in Suva in thirty days, nominations until a week before.
    A change written "day+N" is the date N days from today."""
    start = date.today() + timedelta(days=30)
    fields: dict[str, Any] = {
        "title": "Gender adviser course, Suva",
        "course_type": "gender-adviser",
        "track": "any",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=4)).isoformat(),
        "deadline_on": (start - timedelta(days=7)).isoformat(),
        "seats": "12",
        "seats_per_state": "2",
        "languages": ["en", "fr"],
        "venue_state": "FJ",
        "city": "Suva",
        "zone": "Pacific/Fiji",
    }
    fields.update(
        {
            key: (date.today() + timedelta(days=int(value[3:]))).isoformat()
            if isinstance(value, str) and value.startswith("day")
            else value
            for key, value in changes.items()
        }
    )
    return fields


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The course ends before it starts."),
        ("fr", "Le cours se termine avant de commencer."),
    ],
)
def test_an_offer_ending_before_it_starts_is_refused_with_the_form_kept_and_nothing_saved(
    client: Any, session: Session, language: str, message: str
) -> None:
    sign_in(client, session, focal_point(session, "FJ", language=language))
    page = client.get("/training/new").text
    before = snapshot(session)
    response = client.post("/training", data={**offer_fields(ends_on="day+28"), "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert alert(response.text) == message
    form = soup(response.text).find("form", attrs={"action": "/training"})
    assert form.find("input", attrs={"name": "title"})["value"] == "Gender adviser course, Suva"
    assert form.find("input", attrs={"name": "city"})["value"] == "Suva"
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "Give the course a title of at most 200 characters."),
        ({"course_type": "scuba-diving"}, "Choose a course type from the list."),
        ({"track": "navy"}, "Choose a track from the list."),
        ({"starts_on": "next Monday"}, "Give the first day of the course as a date."),
        ({"deadline_on": "day+31"}, "The nomination deadline must be on or before the first day of the course."),
        ({"deadline_on": "day-1"}, "The nomination deadline has already passed."),
        ({"seats": "0"}, "Seats: a whole number from 1 to 500."),
        ({"seats": "twelve"}, "Seats: a whole number from 1 to 500."),
        ({"seats_per_state": "13"}, "Seats per state: a whole number from 1 to 12."),
        ({"languages": []}, "Choose the languages the course is given in."),
        ({"languages": ["en", "tvl"]}, "Choose the languages the course is given in."),
        ({"city": ""}, "A course in person needs the state and the city where it takes place."),
        ({"zone": "Pacific/Atlantis"}, "Choose a time zone from the list."),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_each_mistake_in_the_offer_form_is_named_and_nothing_is_saved(
    client: Any, session: Session, changes: dict[str, Any], message: str
) -> None:
    sign_in(client, session, focal_point(session, "FJ"))
    page = client.get("/training/new").text
    before = snapshot(session)
    response = client.post("/training", data={**offer_fields(**changes), "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert alert(response.text) == message
    assert snapshot(session) == before
    assert client.post("/training", data={**offer_fields(), "csrf_token": csrf_token(page)}).status_code == 303


def test_an_offer_with_three_wrong_fields_is_refused_with_every_message_the_form_kept_and_nothing_saved(
    client: Any, session: Session
) -> None:
    sign_in(client, session, focal_point(session, "FJ"))
    page = client.get("/training/new").text
    before = snapshot(session)
    response = client.post(
        "/training",
        data={
            **offer_fields(title=" ", starts_on="next Monday", seats="twelve", seats_per_state="600"),
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Give the course a title of at most 200 characters.",
        "Give the first day of the course as a date.",
        "Seats: a whole number from 1 to 500.",
        "Seats per state: a whole number from 1 to 500.",
    ]
    form = soup(response.text).find("form", attrs={"action": "/training"})
    assert form.find("input", attrs={"name": "starts_on"})["value"] == "next Monday"
    assert form.find("input", attrs={"name": "seats"})["value"] == "twelve"
    assert form.find("input", attrs={"name": "city"})["value"] == "Suva"
    assert snapshot(session) == before


def test_an_edited_offer_with_three_wrong_fields_is_refused_in_french_with_every_message(
    client: Any, session: Session
) -> None:
    fiji = focal_point(session, "FJ", language="fr")
    offer = course(session, fiji)
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}/edit").text
    before = snapshot(session)
    response = client.post(
        f"/training/{offer.id}",
        data={**offer_fields(ends_on="day+28", languages=[], city=""), "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 400
    assert alerts(response.text) == [
        "Le cours se termine avant de commencer.",
        "Choisissez les langues dans lesquelles le cours est donné.",
        "Un cours en présentiel demande l’État et la ville où il a lieu.",
    ]
    form = soup(response.text).find("form", attrs={"action": f"/training/{offer.id}"})
    assert form.find("input", attrs={"name": "title"})["value"] == "Gender adviser course, Suva"
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"full_name": "  ", "gender": "woman"}, "Give the candidate's full name (at most 160 characters)."),
        ({"full_name": "x" * 161, "gender": "woman"}, "Give the candidate's full name (at most 160 characters)."),
        ({"full_name": "Sina Leota", "gender": ""}, "Choose the candidate's gender from the list."),
        ({"full_name": "Sina Leota", "gender": "woman", "notes": "n" * 1001}, "Rank, service or notes are too long."),
    ],
    ids=["blank name", "long name", "no gender", "long notes"],
)
def test_each_mistake_in_the_nomination_form_is_named_and_nothing_is_saved(
    client: Any, session: Session, fields: dict[str, str], message: str
) -> None:
    offer = course(session, staff(session, "coordinator"))
    sign_in(client, session, focal_point(session, "WS"))
    page = client.get(f"/training/{offer.id}").text
    before = snapshot(session)
    response = client.post(f"/training/{offer.id}/nominations", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code == 400
    assert alert(response.text) == message
    assert soup(response.text).find("form", attrs={"action": f"/training/{offer.id}/nominations"}) is not None, (
        "the form is still there to correct"
    )
    assert snapshot(session) == before


NO_NAME = "Give the candidate's full name (at most 160 characters)."
TOO_LONG = "Rank, service or notes are too long."
NO_GENDER = "Choose the candidate's gender from the list."


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        (
            {"full_name": " ", "service_name": "s" * 121, "gender": "", "notes": "n" * 1001},
            [NO_NAME, TOO_LONG, NO_GENDER],
        ),
        ({"full_name": "Sina Leota", "gender": "", "notes": "n" * 1001}, [NO_GENDER, TOO_LONG]),
    ],
    ids=["name, service and gender", "gender and notes"],
)
def test_a_nomination_with_several_wrong_fields_is_refused_with_every_message_in_the_forms_order(
    client: Any, session: Session, fields: dict[str, str], messages: list[str]
) -> None:
    offer = course(session, staff(session, "coordinator"))
    sign_in(client, session, focal_point(session, "WS"))
    page = client.get(f"/training/{offer.id}").text
    before = snapshot(session)
    response = client.post(f"/training/{offer.id}/nominations", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code == 400
    assert alerts(response.text) == messages
    assert snapshot(session) == before


def test_a_refused_nomination_comes_back_as_it_was_typed(client: Any, session: Session) -> None:
    offer = course(session, staff(session, "coordinator"))
    sign_in(client, session, focal_point(session, "WS"))
    page = client.get(f"/training/{offer.id}").text
    typed = {
        "full_name": "Sina Leota",
        "rank": "Sergeant",
        "service_name": "Samoa Police Service",
        "gender": "woman",
        "languages": ["fr"],
        "notes": "n" * 1001,
    }

    response = client.post(f"/training/{offer.id}/nominations", data={"csrf_token": csrf_token(page), **typed})

    assert alert(response.text) == TOO_LONG
    form = soup(response.text).select_one(f"form[action='/training/{offer.id}/nominations']")
    assert form is not None
    texts = form.select("input[name=full_name], input[name=rank], input[name=service_name]")
    assert [field["value"] for field in texts] == ["Sina Leota", "Sergeant", "Samoa Police Service"]
    assert [option["value"] for option in form.select("select[name=gender] option[selected]")] == ["woman"]
    assert [box["value"] for box in form.select("input[name=languages][checked]")] == ["fr"]
    assert [area.get_text() for area in form.select("textarea[name=notes]")] == ["n" * 1001]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The nomination deadline has passed."),
        ("fr", "La date limite des candidatures est passée."),
    ],
)
def test_a_nomination_sent_after_the_deadline_day_is_refused_and_nothing_is_saved(
    client: Any, session: Session, language: str, message: str
) -> None:
    offer = course(session, staff(session, "coordinator"))
    sign_in(client, session, focal_point(session, "WS", language=language))
    page = client.get(f"/training/{offer.id}").text
    assert soup(page).find("form", attrs={"action": f"/training/{offer.id}/nominations"}) is not None
    offer.deadline_on = date.today() - timedelta(days=2)
    session.add(offer)
    session.commit()
    before = snapshot(session)
    response = client.post(
        f"/training/{offer.id}/nominations",
        data={"csrf_token": csrf_token(page), "full_name": "Late Candidate", "gender": "man"},
    )
    assert response.status_code == 409
    assert alert(response.text) == message
    assert soup(response.text).find("form", attrs={"action": f"/training/{offer.id}/nominations"}) is None
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Your state has already nominated 2 candidates, the most this course takes from one state."),
        ("fr", "Votre État a déjà proposé 2 candidats, le maximum que ce cours accepte d’un même État."),
    ],
)
def test_a_state_cannot_nominate_more_candidates_than_its_seats_per_state(
    client: Any, session: Session, language: str, message: str
) -> None:
    offer = course(session, staff(session, "coordinator"), seats=6, seats_per_state=2)
    samoa = focal_point(session, "WS", language=language)
    sign_in(client, session, samoa)
    for name in ("Sina Leota", "Tavita Faleolo"):
        page = client.get(f"/training/{offer.id}").text
        response = client.post(
            f"/training/{offer.id}/nominations",
            data={"csrf_token": csrf_token(page), "full_name": name, "gender": "woman"},
        )
        assert response.status_code == 303
    page = client.get(f"/training/{offer.id}").text
    before = snapshot(session)
    response = client.post(
        f"/training/{offer.id}/nominations",
        data={"csrf_token": csrf_token(page), "full_name": "Third Candidate", "gender": "man"},
    )
    assert response.status_code == 409
    assert alert(response.text) == message
    assert snapshot(session) == before

    sign_in(client, session, focal_point(session, "TO"))
    page = client.get(f"/training/{offer.id}").text
    response = client.post(
        f"/training/{offer.id}/nominations",
        data={"csrf_token": csrf_token(page), "full_name": "Mele Taufa", "gender": "woman"},
    )
    assert response.status_code == 303, "the quota is per state: Tonga still has room"


@pytest.mark.parametrize(
    ("case", "language", "status", "message"),
    [
        ("full course", "en", 409, "This would accept 3 people for 2 seats."),
        ("full course", "fr", 409, "Cela accepterait 3 personnes pour 2 places."),
        ("state quota", "en", 409, "Seats per state: 1. This would accept more people than that from one state."),
        ("decline without a reason", "en", 400, "Give a reason for each declined nomination."),
    ],
)
def test_an_allocation_that_breaks_a_rule_is_refused_with_its_reason_and_no_one_is_decided_or_told(
    client: Any, session: Session, case: str, language: str, status: int, message: str
) -> None:
    fiji = focal_point(session, "FJ", language=language)
    offer = course(session, fiji, seats=2 if case == "full course" else 4, seats_per_state=2)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    first, second = candidate(session, offer, samoa, "Sina Leota"), candidate(session, offer, tonga, "Mele Taufa")
    third = candidate(session, offer, samoa, "Tavita Faleolo", "man")
    if case == "full course":
        decide(session, fiji, offer, {first.id: "accepted", second.id: "accepted"})  # type: ignore[dict-item]
        fields = {f"decision-{third.id}": "accepted"}
    elif case == "state quota":
        service.update_offer(session, user=fiji, offer=offer, form=course_form(seats_per_state=1))
        fields = {f"decision-{first.id}": "accepted", f"decision-{third.id}": "accepted"}
    else:
        fields = {f"decision-{first.id}": "declined", f"reason-{first.id}": "  "}
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}").text
    before = snapshot(session)
    response = client.post(f"/training/{offer.id}/allocation", data={"csrf_token": csrf_token(page), **fields})
    assert response.status_code == status
    assert alert(str(soup(response.text).find(id="allocation"))) == message
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "An outcome's date falls between the course's first day and today."),
        ("fr", "La date d’un résultat se situe entre le premier jour du cours et aujourd’hui."),
    ],
)
def test_an_outcome_dated_before_the_course_or_in_the_future_is_refused_and_nothing_is_recorded(
    client: Any, session: Session, language: str, message: str
) -> None:
    fiji = focal_point(session, "FJ", language=language)
    offer = course(session, fiji)
    sina = candidate(session, offer, focal_point(session, "WS"), "Sina Leota")
    decide(session, fiji, offer, {sina.id: "accepted"})  # type: ignore[dict-item]
    service.set_status(session, get_settings(), user=fiji, offer=offer, status="closed")
    move_into_the_past(session, offer, started_days_ago=10)
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}").text
    before = snapshot(session)
    for day in (offer.starts_on - timedelta(days=1), date.today() + timedelta(days=2)):
        response = client.post(
            f"/training/{offer.id}/outcomes",
            data={"csrf_token": csrf_token(page), f"outcome-{sina.id}": "passed", f"on-{sina.id}": day.isoformat()},
        )
        assert response.status_code == 400
        assert alert(str(soup(response.text).find(id="outcomes"))) == message
        assert snapshot(session) == before
    response = client.post(
        f"/training/{offer.id}/outcomes",
        data={
            "csrf_token": csrf_token(page),
            f"outcome-{sina.id}": "passed",
            f"on-{sina.id}": offer.starts_on.isoformat(),
        },
    )
    assert response.status_code == 303, "the course's first day itself is a valid date"


def test_decisions_and_outcomes_for_another_courses_candidates_are_refused_and_change_nothing(
    client: Any, session: Session
) -> None:
    """A provider who puts a guessed nomination id of someone else's course in the form changes nothing."""
    fiji, australia, samoa = focal_point(session, "FJ"), focal_point(session, "AU"), focal_point(session, "WS")
    mine, theirs = course(session, fiji), course(session, australia, title="UN staff officer")
    candidate(session, mine, samoa, "Sina Leota")
    stranger = candidate(session, theirs, samoa, "Tavita Faleolo", "man")
    decide(session, australia, theirs, {stranger.id: "accepted"})  # type: ignore[dict-item]
    service.set_status(session, get_settings(), user=fiji, offer=mine, status="closed")
    move_into_the_past(session, mine, started_days_ago=10)
    sign_in(client, session, fiji)
    token = csrf_token(client.get(f"/training/{mine.id}").text)
    before = snapshot(session)
    response = client.post(
        f"/training/{mine.id}/allocation",
        data={"csrf_token": token, f"decision-{stranger.id}": "declined", f"reason-{stranger.id}": "Not ours"},
    )
    assert response.status_code == 409
    assert alert(response.text) == "A nomination has changed meanwhile; reload the page."
    response = client.post(
        f"/training/{mine.id}/outcomes",
        data={
            "csrf_token": token,
            f"outcome-{stranger.id}": "not_completed",
            f"on-{stranger.id}": date.today().isoformat(),
        },
    )
    assert response.status_code == 409
    assert alert(response.text) == "Outcomes are recorded only for accepted candidates."
    assert snapshot(session) == before


def test_a_saat_result_is_refused_for_a_course_without_the_assessment(client: Any, session: Session) -> None:
    fiji = focal_point(session, "FJ")
    offer = course(session, fiji, course_type="staff-officer", track="military")
    tavita = candidate(session, offer, focal_point(session, "WS"), "Tavita Faleolo", "man")
    decide(session, fiji, offer, {tavita.id: "accepted"})  # type: ignore[dict-item]
    service.set_status(session, get_settings(), user=fiji, offer=offer, status="closed")
    move_into_the_past(session, offer, started_days_ago=10)
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}").text
    choices = [o["value"] for o in soup(page).find("select", id=f"oc-{tavita.id}").find_all("option") if o["value"]]
    assert choices == ["completed", "not_completed"]
    before = snapshot(session)
    response = client.post(
        f"/training/{offer.id}/outcomes",
        data={
            "csrf_token": csrf_token(page),
            f"outcome-{tavita.id}": "passed",
            f"on-{tavita.id}": date.today().isoformat(),
        },
    )
    assert response.status_code == 400
    assert alert(response.text) == "Choose an outcome from the list."
    assert snapshot(session) == before


# The catalogue


@pytest.fixture
def shelf(session: Session) -> dict[str, TrainingOffer]:
    """Four published courses that differ in track, type, language, providing state or organisation, and dates."""
    coordinator = staff(session, "coordinator")
    australia = focal_point(session, "AU")
    return {
        "police": course(session, coordinator, title="SAAT preparation, Nadi", days_ahead=30, languages=["en"]),
        "military": course(
            session,
            australia,
            title="UN staff officer, Canberra",
            course_type="staff-officer",
            track="military",
            days_ahead=60,
            languages=["en", "fr"],
        ),
        "any": course(
            session,
            coordinator,
            title="Protection of civilians online",
            course_type="protection-of-civilians",
            track="any",
            provider_state="",
            provider_organisation="UN Department of Peace Operations",
            days_ahead=90,
            languages=["fr"],
        ),
        "civilian": course(
            session,
            australia,
            title="Gender adviser, Brisbane",
            course_type="gender-adviser",
            track="civilian",
            days_ahead=120,
            languages=["en"],
        ),
    }


def day(days_ahead: int) -> str:
    return (date.today() + timedelta(days=days_ahead)).isoformat()


def shelf_titles(shelf: dict[str, TrainingOffer]) -> set[str]:
    return {offer.title for offer in shelf.values()}


SAAT, STAFF, CIVILIANS, GENDER = (
    "SAAT preparation, Nadi",
    "UN staff officer, Canberra",
    "Protection of civilians online",
    "Gender adviser, Brisbane",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {SAAT, STAFF, CIVILIANS, GENDER}),
        ({"track": "police"}, {SAAT, CIVILIANS}),
        ({"track": "military"}, {STAFF, CIVILIANS}),
        ({"track": "any"}, {CIVILIANS}),
        ({"course_type": "staff-officer"}, {STAFF}),
        ({"language": "fr"}, {STAFF, CIVILIANS}),
        ({"language": "en"}, {SAAT, STAFF, GENDER}),
        ({"provider": "AU"}, {STAFF, GENDER}),
        ({"provider": "FJ"}, {SAAT}),
        ({"after": "+61"}, {STAFF, CIVILIANS, GENDER}),
        ({"after": "+65"}, {CIVILIANS, GENDER}),
        ({"before": "+60"}, {SAAT, STAFF}),
        ({"after": "+35", "before": "+100"}, {STAFF, CIVILIANS}),
        ({"track": "civilian"}, {CIVILIANS, GENDER}),
        ({"track": "military", "language": "en"}, {STAFF}),
        ({"course_type": "gender-adviser", "provider": "AU"}, {GENDER}),
        ({"provider": "NZ"}, set()),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_the_catalogue_filters_by_track_type_language_providing_state_and_dates(
    client: Any, session: Session, shelf: dict[str, TrainingOffer], query: dict[str, str], expected: set[str]
) -> None:
    """A police or military filter keeps the courses open to any track; dates keep courses that overlap them."""
    params = {key: day(int(value)) if value.startswith("+") else value for key, value in query.items()}
    sign_in(client, session, focal_point(session, "WS"))
    response = client.get("/training", params=params)
    assert response.status_code == 200
    assert listed(response.text) & shelf_titles(shelf) == expected
    if not expected and not listed(response.text):
        assert "No offer matches." in response.text


def test_the_filter_form_shows_the_filters_in_use(
    client: Any, session: Session, shelf: dict[str, TrainingOffer]
) -> None:
    sign_in(client, session, focal_point(session, "WS"))
    page = soup(
        client.get(
            "/training",
            params={
                "track": "military",
                "course_type": "staff-officer",
                "language": "fr",
                "provider": "AU",
                "after": day(10),
                "before": day(200),
            },
        ).text
    )
    form = page.find("form", class_="filters")
    chosen = {select["name"]: select.find("option", selected=True)["value"] for select in form.find_all("select")}
    assert chosen == {"track": "military", "course_type": "staff-officer", "language": "fr", "provider": "AU"}
    assert form.find("input", attrs={"name": "after"})["value"] == day(10)
    assert form.find("input", attrs={"name": "before"})["value"] == day(200)
    assert listed(str(page)) & shelf_titles(shelf) == {STAFF}


def test_the_catalogue_starts_with_courses_not_yet_ended_and_links_to_those_that_have_with_the_filters_kept(
    client: Any, session: Session, shelf: dict[str, TrainingOffer]
) -> None:
    move_into_the_past(session, shelf["police"], started_days_ago=40)
    samoan = focal_point(session, "WS")
    sign_in(client, session, samoan)
    today_in_apia = datetime.now(ZoneInfo(samoan.time_zone)).date()

    page = soup(client.get("/training", params={"track": "police"}).text)

    assert listed(str(page)) & shelf_titles(shelf) == {CIVILIANS}
    assert samoan.time_zone == "Pacific/Apia"
    assert page.select_one("form.filters input[name=after]")["value"] == today_in_apia.isoformat()  # type: ignore[index]
    hint = page.select_one("#offers-window a")
    assert hint is not None and hint.get_text() == "List them too"
    with_past = soup(client.get(str(hint["href"])).text)
    assert listed(str(with_past)) & shelf_titles(shelf) == {SAAT, CIVILIANS}
    assert with_past.select_one("form.filters input[name=after]")["value"] == ""  # type: ignore[index]
    assert with_past.select_one("#offers-window") is None


def test_filters_that_make_no_sense_are_ignored_rather_than_failing(
    client: Any, session: Session, shelf: dict[str, TrainingOffer]
) -> None:
    sign_in(client, session, focal_point(session, "WS"))
    response = client.get(
        "/training", params={"track": "navy", "language": "tok", "after": "next week", "before": "someday"}
    )
    assert response.status_code == 200
    assert listed(response.text) >= shelf_titles(shelf)


def test_a_day_not_in_the_calendar_is_named_in_the_refusal(client: Any, session: Session) -> None:
    sign_in(client, session, focal_point(session, "WS"))
    response = client.get("/training", params={"before": "2026-13-45"})
    assert response.status_code == 400
    assert "2026-13-45 is not a date in the calendar." in text_of(soup(response.text).find("main"))


def test_an_htmx_request_gets_only_the_offers_part_with_the_womens_share_of_the_filtered_offers(
    client: Any, session: Session, shelf: dict[str, TrainingOffer]
) -> None:
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    candidate(session, shelf["police"], samoa, "Sina Leota", "woman")
    candidate(session, shelf["police"], tonga, "Sione Tupou", "man")
    candidate(session, shelf["military"], tonga, "Viliami Kata", "man")
    sign_in(client, session, samoa)

    fragment = client.get("/training", params={"provider": "FJ"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = soup(fragment.text)
    assert html.find("html") is None and html.find("form") is None and html.find("h1") is None
    assert [node.name for node in html.find_all(recursive=False)] == ["p", "section", "table"]
    assert html.find("p", recursive=False)["id"] == "offers-window", "the part says which courses it leaves out"
    assert listed(fragment.text) & shelf_titles(shelf) == {SAAT}
    share = text_of(html.find("section"))
    assert "Nominated: 50.0% women (1 of 2)" in share

    page = client.get("/training", params={"provider": "FJ"})
    full = soup(page.text)
    assert full.find("h1").get_text(strip=True) == "Training offers"
    assert full.find("form", class_="filters")["data-hx-target"] == "#offers"
    assert text_of(full.find(id="offers")) == text_of(html)


# Drafts


@pytest.mark.parametrize(
    ("who", "sees"),
    [("provider", True), ("coordinator", True), ("admin", True), ("other state", False), ("observer", False)],
)
def test_a_draft_is_seen_only_by_those_who_manage_it_and_is_absent_for_everyone_else(
    client: Any, session: Session, who: str, sees: bool
) -> None:
    fiji = focal_point(session, "FJ")
    draft = course(session, fiji, publish=False, title="Draft: field exercise")
    readers = {
        "provider": fiji,
        "coordinator": staff(session, "coordinator"),
        "admin": staff(session, "admin"),
        "other state": focal_point(session, "WS"),
        "observer": staff(session, "observer"),
    }
    sign_in(client, session, readers[who])
    page = client.get(f"/training/{draft.id}")
    assert ("Draft: field exercise" in listed(client.get("/training").text)) is sees
    if sees:
        assert page.status_code == 200
        assert soup(page.text).find("h1").get_text(strip=True) == "Draft: field exercise"
    else:
        assert page.status_code == 404
        assert "Draft: field exercise" not in page.text
        absent = session.exec(select(func.max(TrainingOffer.id))).one() + 1
        assert alert(page.text) == alert(client.get(f"/training/{absent}").text) == "No such training offer."


def test_every_page_and_form_of_a_draft_answers_404_to_another_states_focal_point(
    client: Any, session: Session
) -> None:
    draft = course(session, focal_point(session, "FJ"), publish=False, title="Draft: field exercise")
    sign_in(client, session, focal_point(session, "WS"))
    token = csrf_token(client.get("/training").text)
    before = snapshot(session)
    for path in (
        f"/training/{draft.id}/edit",
        f"/training/{draft.id}/allocation",
        f"/training/{draft.id}/nominations.csv",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Draft: field exercise" not in response.text
    for path, fields in (
        (f"/training/{draft.id}/nominations", {"full_name": "Sina Leota", "gender": "woman"}),
        (f"/training/{draft.id}/status", {"status": "published"}),
        (f"/training/{draft.id}", {"title": "Taken over"}),
    ):
        response = client.post(path, data={"csrf_token": token, **fields})
        assert response.status_code == 404, path
    assert snapshot(session) == before


# The allocation preview


def test_the_allocation_preview_shows_the_womens_share_the_choices_would_give_and_decides_nothing(
    client: Any, session: Session
) -> None:
    fiji = focal_point(session, "FJ")
    offer = course(session, fiji, seats=4)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sione = candidate(session, offer, tonga, "Sione Tupou", "man")
    sina = candidate(session, offer, samoa, "Sina Leota", "woman")
    mele = candidate(session, offer, tonga, "Mele Taufa", "woman")
    decide(session, fiji, offer, {sione.id: "accepted"})  # type: ignore[dict-item]
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}").text
    assert text_of(soup(page).find(id="projection")) == "Now: 1 of 4 seats taken · Women accepted: 0.0% women (0 of 1)"
    before = snapshot(session)

    fragment = client.get(
        f"/training/{offer.id}/allocation", params={f"decision-{sina.id}": "accepted"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    parts = soup(fragment.text).find_all(recursive=False)
    assert [(node.name, node.get("id")) for node in parts] == [("div", "projection")]
    assert text_of(parts[0]) == "With these choices: 2 of 4 seats taken · Women accepted: 50.0% women (1 of 2)"

    fragment = client.get(
        f"/training/{offer.id}/allocation",
        headers={"HX-Request": "true"},
        params={
            f"decision-{sina.id}": "accepted",
            f"decision-{mele.id}": "accepted",
            f"decision-{sione.id}": "declined",
        },
    )
    assert (
        text_of(soup(fragment.text)) == "With these choices: 2 of 4 seats taken · Women accepted: 100.0% women (2 of 2)"
    )

    full = client.get(f"/training/{offer.id}/allocation", params={f"decision-{sina.id}": "accepted"})
    html = soup(full.text)
    assert html.find("h1").get_text(strip=True) == "SAAT preparation"
    assert html.find("select", id=f"d-{sina.id}").find("option", selected=True)["value"] == "accepted"
    assert "2 of 4 seats taken" in text_of(html.find(id="projection"))
    assert "Accepted: 0.0% women (0 of 1)" in text_of(html.find(id="women-heading").parent), (
        "the offer's own figures stay as they are"
    )
    assert snapshot(session) == before


def test_the_preview_warns_when_the_choices_exceed_the_seats(client: Any, session: Session) -> None:
    fiji = focal_point(session, "FJ")
    offer = course(session, fiji, seats=2)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    people = [
        candidate(session, offer, samoa, "Sina Leota"),
        candidate(session, offer, samoa, "Tavita Faleolo", "man"),
        candidate(session, offer, tonga, "Mele Taufa"),
    ]
    sign_in(client, session, fiji)
    fragment = client.get(
        f"/training/{offer.id}/allocation",
        headers={"HX-Request": "true"},
        params={f"decision-{n.id}": "accepted" for n in people},
    )
    assert "3 of 2 seats taken" in text_of(soup(fragment.text))
    assert (
        soup(fragment.text).find(class_="error").get_text(strip=True)
        == "More people than seats: confirming will be refused."
    )
    within = client.get(
        f"/training/{offer.id}/allocation",
        headers={"HX-Request": "true"},
        params={f"decision-{people[0].id}": "accepted"},
    )
    assert soup(within.text).find(class_="error") is None


def test_the_preview_warns_when_a_state_would_get_more_seats_than_its_quota(client: Any, session: Session) -> None:
    fiji = focal_point(session, "FJ")
    offer, (sina, tavita, mele, sione) = four_candidates(session, fiji, seats=4)
    service.update_offer(session, user=fiji, offer=offer, form=course_form(seats=4, seats_per_state=1))
    sign_in(client, session, fiji)

    def warnings(**choices: str) -> list[str]:
        fragment = client.get(f"/training/{offer.id}/allocation", headers={"HX-Request": "true"}, params=choices)
        return [text_of(node) for node in soup(fragment.text).find_all(class_="error")]

    assert warnings(**{f"decision-{sina.id}": "accepted", f"decision-{mele.id}": "accepted"}) == []
    assert warnings(**{f"decision-{n.id}": "accepted" for n in (sina, tavita, mele, sione)}) == [
        "More people from one state than its seats per state (1): Samoa, Tonga. Confirming will be refused."
    ]
    full_page = client.get(
        f"/training/{offer.id}/allocation",
        params={f"decision-{sina.id}": "accepted", f"decision-{tavita.id}": "accepted"},
    )
    assert text_of(soup(full_page.text).find(id="projection").find(class_="error")) == (
        "More people from one state than its seats per state (1): Samoa. Confirming will be refused."
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "People already accepted from Samoa: 2. Keep at least that many seats per state."),
        ("fr", "Personnes déjà acceptées pour Samoa\u00a0: 2. Gardez au moins autant de places par État."),
    ],
)
def test_lowering_the_seats_per_state_below_a_states_accepted_people_is_refused(
    client: Any, session: Session, language: str, message: str
) -> None:
    fiji = focal_point(session, "FJ", language=language)
    offer, (sina, tavita, mele, _) = four_candidates(session, fiji, seats=4)
    decide(session, fiji, offer, {sina.id: "accepted", tavita.id: "accepted", mele.id: "accepted"})  # type: ignore[dict-item]
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}/edit").text
    before = snapshot(session)

    response = client.post(
        f"/training/{offer.id}", data={**offer_fields(seats="4", seats_per_state="1"), "csrf_token": csrf_token(page)}
    )

    assert response.status_code == 409
    assert alert(response.text) == " ".join(message.split()), "the alert reads its text with spaces normalised"
    form = soup(response.text).find("form", attrs={"action": f"/training/{offer.id}"})
    assert form.find("input", attrs={"name": "seats_per_state"})["value"] == "1", "the form keeps what was typed"
    assert snapshot(session) == before
    response = client.post(
        f"/training/{offer.id}", data={**offer_fields(seats="4", seats_per_state="2"), "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303


def four_candidates(session: Session, provider: User, *, seats: int = 2) -> tuple[TrainingOffer, list[Nomination]]:
    """A course of `provider` with two seats per state: Sina and Tavita from Samoa, Mele and Sione from Tonga."""
    offer = course(session, provider, seats=seats)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    return offer, [
        candidate(session, offer, samoa, "Sina Leota"),
        candidate(session, offer, samoa, "Tavita Faleolo", "man"),
        candidate(session, offer, tonga, "Mele Taufa"),
        candidate(session, offer, tonga, "Sione Tupou", "man"),
    ]


def chosen(html: str) -> dict[str, tuple[str, str]]:
    """The allocation form as the page shows it: each candidate's decision and reason, by name."""
    form = soup(html).find(id="allocation").find("form")
    shown = {}
    for row in form.select("tbody tr"):
        select, reason = row.find("select"), row.find("input")
        picked = select.find("option", selected=True) if select else None
        shown[row.find("th").get_text(strip=True)] = (
            str(picked["value"]) if picked else "",
            str(reason["value"]) if reason else "",
        )
    return shown


@pytest.mark.parametrize(
    ("case", "choices", "message"),
    [
        (
            "full course",
            [("accepted", ""), ("accepted", ""), ("accepted", ""), ("declined", "Passport expires in March")],
            "This would accept 3 people for 2 seats.",
        ),
        (
            "state quota",
            [("accepted", ""), ("accepted", ""), ("waitlisted", ""), ("declined", "Passport expires in March")],
            "Seats per state: 1. This would accept more people than that from one state.",
        ),
        (
            "decline without a reason",
            [("accepted", ""), ("declined", " "), ("waitlisted", ""), ("declined", "Passport expires in March")],
            "Give a reason for each declined nomination.",
        ),
    ],
    ids=["full course", "state quota", "decline without a reason"],
)
def test_a_refused_allocation_keeps_every_decision_and_reason_the_provider_entered(
    client: Any, session: Session, case: str, choices: list[tuple[str, str]], message: str
) -> None:
    fiji = focal_point(session, "FJ")
    offer, people = four_candidates(session, fiji)
    if case == "state quota":
        service.update_offer(session, user=fiji, offer=offer, form=course_form(seats=2, seats_per_state=1))
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}").text
    fields = {"csrf_token": csrf_token(page)}
    for person, (decision, reason) in zip(people, choices, strict=True):
        fields[f"decision-{person.id}"], fields[f"reason-{person.id}"] = decision, reason
    before = snapshot(session)

    response = client.post(f"/training/{offer.id}/allocation", data=fields)

    assert response.status_code in (400, 409)
    section = soup(response.text).find(id="allocation")
    assert alert(str(section)) == message, "the message stands beside the form"
    assert chosen(response.text) == {
        person.full_name: (decision, reason) for person, (decision, reason) in zip(people, choices, strict=True)
    }
    assert text_of(section.find(id="projection")).startswith("With these choices:")
    assert snapshot(session) == before


def what_the_browser_sends(form: Any, button: Any | None) -> list[tuple[str, str]]:
    """The fields a browser (or htmx, which sends no button) submits for `form` pressed by `button`."""
    fields = [
        (str(control["name"]), str(control.get("value", "")))
        for control in form.find_all(["input", "select", "textarea"])
        if control.get("name") and control.get("type") not in ("submit", "button")
    ]
    if button is not None and button.get("name"):
        fields.append((str(button["name"]), str(button.get("value", ""))))
    return fields


def test_showing_the_effect_keeps_the_form_token_out_of_the_address_and_confirming_still_carries_it(
    client: Any, session: Session
) -> None:
    fiji = focal_point(session, "FJ")
    offer, people = four_candidates(session, fiji)
    sign_in(client, session, fiji)
    page = client.get(f"/training/{offer.id}").text
    form = soup(page).find("form", attrs={"action": f"/training/{offer.id}/allocation", "method": "post"})
    preview = form.find("button", attrs={"formmethod": "get"})
    confirm = next(b for b in form.find_all("button") if b.get_text(strip=True) == "Confirm the decisions")

    assert form["data-hx-get"] == f"/training/{offer.id}/allocation"
    live = what_the_browser_sends(form, None)
    assert "csrf_token" not in dict(live), "the htmx preview's query string carries no token"
    shown = what_the_browser_sends(form, preview)
    assert "csrf_token" not in dict(shown), "'Show the effect' puts no token in the address"
    assert client.get(f"/training/{offer.id}/allocation", params=shown).status_code == 200
    sent = dict(what_the_browser_sends(form, confirm))
    assert sent["csrf_token"] == csrf_token(page)

    sent[f"decision-{people[0].id}"] = "accepted"
    assert client.post(f"/training/{offer.id}/allocation", data=sent).status_code == 303
    assert session.get_one(Nomination, people[0].id).status == "accepted"


def test_only_those_who_manage_the_offer_may_preview_its_allocation(client: Any, session: Session) -> None:
    offer = course(session, focal_point(session, "FJ"))
    sina = candidate(session, offer, focal_point(session, "WS"), "Sina Leota")
    for reader, status in (
        (focal_point(session, "WS"), 403),
        (staff(session, "observer"), 403),
        (staff(session, "coordinator"), 200),
    ):
        sign_in(client, session, reader)
        response = client.get(f"/training/{offer.id}/allocation", params={f"decision-{sina.id}": "accepted"})
        assert response.status_code == status
        assert ("Sina Leota" in response.text) is (status == 200)


# The calendar feed of offers


def feed_events(text: str) -> dict[int, Any]:
    """The feed's events by the offer id their link points to."""
    events = Calendar.from_ical(text).walk("VEVENT")
    return {int(str(event["url"]).rsplit("/", 1)[-1]): event for event in events}


def test_the_offers_feed_has_one_all_day_event_per_offer_its_owner_may_see(client: Any, session: Session) -> None:
    fiji = focal_point(session, "FJ")
    online = course(session, fiji, title="SAAT preparation online", days_ahead=40, length=5)
    in_person = course(
        session,
        fiji,
        title="Gender adviser, Nadi",
        course_type="gender-adviser",
        track="any",
        online=False,
        venue_state="FJ",
        city="Nadi",
        days_ahead=70,
        length=1,
    )
    cancelled = course(session, fiji, title="Cancelled exercise", course_type="field-exercise", days_ahead=80)
    service.set_status(session, get_settings(), user=fiji, offer=cancelled, status="cancelled")
    draft = course(session, fiji, publish=False, title="Draft course", days_ahead=100)
    samoa = focal_point(session, "WS")

    client.cookies.clear()
    response = client.get(f"/training/calendar/{meetings.new_feed(session, user=samoa)}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = feed_events(response.text)
    mine = {online.id, in_person.id, cancelled.id, draft.id}
    assert set(events) & mine == {online.id, in_person.id, cancelled.id}
    for offer in (online, in_person, cancelled):
        event = events[offer.id]
        assert str(event["summary"]) == offer.title
        start, end = event["dtstart"].dt, event["dtend"].dt
        assert type(start) is date and type(end) is date, "whole days, not times"
        assert (start, end) == (offer.starts_on, offer.ends_on + timedelta(days=1)), "the end day is exclusive"
    assert f"DTSTART;VALUE=DATE:{in_person.starts_on:%Y%m%d}" in response.text
    assert str(events[in_person.id]["location"]) == "Nadi, Fiji"
    assert str(events[online.id]["location"]) == "Online"
    assert (str(events[cancelled.id]["status"]), str(events[online.id]["status"])) == ("CANCELLED", "CONFIRMED")
    # A subscription to read, not invitations: PUBLISH, nobody asked to answer, the network as organizer.
    feed = Calendar.from_ical(response.text)
    assert str(feed["method"]) == "PUBLISH"
    assert all("attendee" not in event and "RSVP" not in event.to_ical().decode() for event in events.values())
    organizer = events[online.id]["organizer"]
    assert str(organizer) == f"mailto:{get_settings().mail_from}"
    assert str(organizer.params["CN"]) == "Pacific peacekeeping network"

    provider_feed = client.get(f"/training/calendar/{meetings.new_feed(session, user=fiji)}.ics")
    assert set(feed_events(provider_feed.text)) & mine == mine, "the provider also sees its draft"


def test_the_offers_feed_speaks_its_owners_language(client: Any, session: Session) -> None:
    course(session, focal_point(session, "FJ"))
    wallis = focal_point(session, "WF", language="fr")
    response = client.get(f"/training/calendar/{meetings.new_feed(session, user=wallis)}.ics")
    feed = Calendar.from_ical(response.text)
    assert str(feed["x-wr-calname"]).startswith("Offres de formation · ")
    assert [str(e["location"]) for e in feed.walk("VEVENT")] == ["En ligne"]


def test_a_revoked_or_replaced_calendar_link_stops_working(client: Any, session: Session) -> None:
    course(session, focal_point(session, "FJ"))
    samoa = focal_point(session, "WS")
    first = meetings.new_feed(session, user=samoa)
    assert client.get(f"/training/calendar/{first}.ics").status_code == 200
    second = meetings.new_feed(session, user=samoa)
    assert client.get(f"/training/calendar/{first}.ics").status_code == 404
    assert client.get(f"/training/calendar/{second}.ics").status_code == 200
    meetings.revoke_feed(session, user=samoa)
    revoked = client.get(f"/training/calendar/{second}.ics")
    assert revoked.status_code == 404
    assert "BEGIN:VCALENDAR" not in revoked.text
    assert client.get("/training/calendar/not-a-real-token.ics").status_code == 404


# Query counts


def test_the_catalogue_and_reports_run_as_many_queries_for_twelve_offers_as_for_two(
    client: Any, session: Session
) -> None:
    """Offers spread over two years, each with women and men nominated by two states and some accepted."""
    fiji, samoa, tonga = focal_point(session, "FJ"), focal_point(session, "WS"), focal_point(session, "TO")

    def add_courses(first: int, count: int) -> None:
        for number in range(first, first + count):
            offer = course(
                session,
                fiji,
                title=f"Course {number}",
                days_ahead=40 + 35 * number,
                track=("police", "military", "any")[number % 3],
            )
            sina = candidate(session, offer, samoa, f"Samoan {number}", "woman")
            candidate(session, offer, tonga, f"Tongan {number}", "man")
            decide(session, fiji, offer, {sina.id: "accepted"})  # type: ignore[dict-item]

    def queries() -> dict[str, int]:
        counts = {}
        for label, path, headers in (
            ("catalogue", "/training", {}),
            ("filtered catalogue", "/training?track=police&language=en", {}),
            ("catalogue fragment", "/training", {"HX-Request": "true"}),
            ("reports", "/training/reports", {}),
        ):
            with QueryLog(get_engine()) as log:
                response = client.get(path, headers=headers)
            assert response.status_code == 200, path
            counts[label] = len(log)
        return counts

    sign_in(client, session, staff(session, "coordinator"))
    add_courses(0, 2)
    few = queries()
    add_courses(2, 10)
    many = queries()
    assert len(listed(client.get("/training").text) & {f"Course {n}" for n in range(12)}) == 12
    assert many == few


def test_the_catalogue_shows_a_page_at_a_time_its_next_link_keeps_the_filters_and_the_share_counts_every_page(
    client: Any, session: Session
) -> None:
    fiji, samoa = focal_point(session, "FJ"), focal_point(session, "WS")
    for number in range(paging.PAGE_SIZE):
        course(session, fiji, title=f"Course {number}", days_ahead=40 + number)
    last = course(session, fiji, title="The last course", days_ahead=40 + paging.PAGE_SIZE + 5)
    course(session, fiji, title="A military course", days_ahead=40 + paging.PAGE_SIZE + 9, track="military")
    candidate(session, last, samoa, "Sina", "woman")
    sign_in(client, session, samoa)
    with QueryLog(get_engine()) as first_log:
        first = client.get("/training", params={"track": "police", "language": "en"})
    assert len(listed(first.text)) == paging.PAGE_SIZE and "The last course" not in listed(first.text)
    heading = soup(first.text).select_one("#share-heading")
    section = heading.find_parent("section") if heading is not None else None
    assert section is not None
    assert "100" in section.get_text(" ", strip=True)  # the one woman nominated is on the next page, counted here
    following = soup(first.text).select_one("#offers a[rel=next]")
    assert following is not None and following.get_text(strip=True) == "Next page"
    with QueryLog(get_engine()) as second_log:
        second = client.get(str(following["href"]))
    assert len(second_log) == len(first_log)  # a later page costs what the first does
    assert listed(second.text) == {"The last course"}
    track = soup(second.text).select_one("select[name=track] option[selected]")
    assert track is not None and track["value"] == "police"
    assert soup(second.text).select_one("#offers a[rel=next]") is None


# The form token


def csrf_cases() -> list[tuple[str, str, str]]:
    """(who, what, the form's address pattern) for each form of the training pages."""
    return [
        ("provider", "offer a course", "/training"),
        ("provider", "change the offer", "/training/{offer}"),
        ("provider", "close nominations", "/training/{offer}/status"),
        ("tonga", "nominate", "/training/{offer}/nominations"),
        ("provider", "allocate", "/training/{offer}/allocation"),
        ("samoa", "move a candidate", "/training/nominations/{first}/move"),
        ("samoa", "withdraw", "/training/nominations/{first}/withdraw"),
        ("samoa", "erase", "/training/nominations/{first}/erase"),
    ]


@pytest.mark.parametrize(("who", "what", "pattern"), csrf_cases(), ids=[case[1] for case in csrf_cases()])
def test_a_post_without_the_form_token_is_refused_and_changes_nothing_while_the_same_post_with_it_works(
    client: Any, session: Session, who: str, what: str, pattern: str
) -> None:
    fiji = focal_point(session, "FJ")
    offer = course(session, fiji)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    first = candidate(session, offer, samoa, "Sina Leota")
    candidate(session, offer, samoa, "Tavita Faleolo", "man")
    path = pattern.format(offer=offer.id, first=first.id)
    fields: dict[str, Any] = {
        "offer a course": offer_fields(),
        "change the offer": offer_fields(title="Renamed course"),
        "close nominations": {"status": "closed"},
        "nominate": {"full_name": "Mele Taufa", "gender": "woman"},
        "allocate": {f"decision-{first.id}": "accepted"},
        "move a candidate": {"direction": "down"},
    }.get(what, {})
    sign_in(client, session, {"provider": fiji, "samoa": samoa, "tonga": tonga}[who])
    token = csrf_token(client.get(f"/training/{offer.id}").text)
    before = snapshot(session)

    refused = client.post(path, data=fields)
    assert refused.status_code == 403
    assert alert(refused.text) == FORM_EXPIRED
    assert snapshot(session) == before

    accepted = client.post(path, data={**fields, "csrf_token": token})
    assert accepted.status_code == 303, accepted.text
    assert snapshot(session) != before


def test_a_token_from_another_session_or_a_wrong_htmx_header_is_refused_too(client: Any, session: Session) -> None:
    offer = course(session, focal_point(session, "FJ"))
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO", language="fr")
    sign_in(client, session, samoa)
    samoa_token = csrf_token(client.get(f"/training/{offer.id}").text)
    sign_in(client, session, tonga)
    before = snapshot(session)
    borrowed = client.post(
        f"/training/{offer.id}/nominations",
        data={"csrf_token": samoa_token, "full_name": "Mele Taufa", "gender": "woman"},
    )
    assert borrowed.status_code == 403
    assert (
        alert(borrowed.text)
        == "Ce formulaire a expiré ou ne provient pas de ce portail. Rechargez la page et réessayez."
    )
    by_header = client.post(
        f"/training/{offer.id}/nominations",
        data={"full_name": "Mele Taufa", "gender": "woman"},
        headers={"HX-Request": "true", "X-CSRF-Token": samoa_token},
    )
    assert by_header.status_code == 403
    assert soup(by_header.text).find("html") is None, "htmx gets the message alone, to show in place"
    assert snapshot(session) == before


def test_an_offer_left_on_the_venue_states_zone_takes_the_zone_of_its_capital(client: Any, session: Session) -> None:
    sign_in(client, session, focal_point(session, "FJ"))
    page = client.get("/training/new").text
    picker = soup(page).find("select", attrs={"name": "zone"})
    assert picker.find("option", selected=True)["value"] == ""
    assert picker.find("option", selected=True).get_text() == "Same as the state of the venue"
    assert [group["label"] for group in picker.find_all("optgroup")] == ["Member states", "Other zones"]

    fields = offer_fields(title="Logistics course, Apia", venue_state="WS", city="Apia", zone="")
    response = client.post("/training", data={**fields, "csrf_token": csrf_token(page)})

    assert response.status_code == 303
    session.expire_all()
    offer = session.exec(select(TrainingOffer).where(TrainingOffer.title == "Logistics course, Apia")).one()
    assert offer.zone == "Pacific/Apia"
