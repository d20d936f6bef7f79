"""The rules of a course's life, through the service: deadlines where the provider lives, statuses, the waiting
list, outcomes and how long a SAAT pass counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.errors import Conflict, DomainError
from app.outbox.models import OutboxMessage
from app.training import service
from app.training.models import Nomination, TrainingOffer
from tests.factories import make_user, state


def offer_form(**changes: Any) -> service.OfferForm:
    start = date.today() + timedelta(days=40)
    fields: dict[str, Any] = {
        "title": "SAAT preparation",
        "course_type": "saat-preparation",
        "track": "police",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=4)).isoformat(),
        "deadline_on": (start - timedelta(days=10)).isoformat(),
        "seats": 2,
        "seats_per_state": 2,
        "languages": ["en"],
        "online": True,
        "provider_state": "FJ",
        "zone": "Pacific/Fiji",
    }
    fields.update(changes)
    return service.OfferForm(**fields)


@pytest.fixture
def coordinator(session: Session) -> Any:
    return make_user(session, role="coordinator")


def published(session: Session, coordinator: Any, **changes: Any) -> TrainingOffer:
    offer = service.create_offer(session, user=coordinator, form=offer_form(**changes))
    service.set_status(session, get_settings(), user=coordinator, offer=offer, status="published")
    return offer


def focal_point(session: Session, code: str, **fields: Any) -> Any:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, **fields)


def candidate(session: Session, offer: TrainingOffer, user: Any, name: str, gender: str = "woman") -> Nomination:
    return service.nominate(session, user=user, offer=offer, form=service.CandidateForm(full_name=name, gender=gender))


def said(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.message % error.value.params if error.value.params else error.value.message


def test_the_deadline_day_ends_where_the_provider_lives_not_where_the_server_is(
    session: Session, coordinator: Any
) -> None:
    """The same deadline date is still open in Kiritimati (UTC+14) when it has passed in Pago Pago (UTC-11)."""
    now = datetime.now(UTC)
    kiritimati_today = (now + timedelta(hours=14)).date()
    pago_pago_today = (now - timedelta(hours=11)).date()
    assert kiritimati_today > pago_pago_today
    early = published(session, coordinator, zone="Pacific/Kiritimati")
    late = published(session, coordinator, zone="Pacific/Pago_Pago")
    for offer in (early, late):
        offer.deadline_on = kiritimati_today - timedelta(days=1)
        session.add(offer)
    session.commit()
    # Yesterday in Kiritimati is today (or later) in Pago Pago: closed there, open here.
    assert service.deadline_passed(early)
    assert not service.deadline_passed(late)
    samoa = focal_point(session, "WS")
    with pytest.raises(Conflict) as refused:
        candidate(session, early, samoa, "Too late in Kiritimati")
    assert said(refused) == "The nomination deadline has passed."
    assert candidate(session, late, samoa, "Still in time in Pago Pago").status == "nominated"


def test_an_offer_moves_only_along_its_life(session: Session, coordinator: Any) -> None:
    offer = service.create_offer(session, user=coordinator, form=offer_form())
    with pytest.raises(Conflict) as refused:
        service.set_status(session, get_settings(), user=coordinator, offer=offer, status="completed")
    assert said(refused) == "This offer cannot go from “Draft” to “Completed”."
    for status in ("published", "closed", "published", "closed", "completed"):
        service.set_status(session, get_settings(), user=coordinator, offer=offer, status=status)
    assert offer.status == "completed"
    with pytest.raises(Conflict):
        service.set_status(session, get_settings(), user=coordinator, offer=offer, status="cancelled")


def test_a_withdrawn_seat_goes_to_the_longest_waiting_candidate_whose_state_has_room_and_that_state_is_told(
    session: Session, coordinator: Any
) -> None:
    offer = published(session, coordinator, seats=2, seats_per_state=1)
    samoa, tonga, palau = (
        focal_point(session, "WS"),
        focal_point(session, "TO"),
        focal_point(session, "PW", language="fr"),
    )
    first = candidate(session, offer, samoa, "Sina Leota")
    second = candidate(session, offer, tonga, "Mele Taufa")
    waiting_longest = candidate(session, offer, palau, "Dirrecheteruu Ngirmang")
    settings = get_settings()
    service.allocate(
        session,
        settings,
        user=coordinator,
        offer=offer,
        decisions={first.id: "accepted", second.id: "accepted"},
        reasons={},
    )  # type: ignore[dict-item]
    service.allocate(
        session, settings, user=coordinator, offer=offer, decisions={waiting_longest.id: "waitlisted"}, reasons={}
    )  # type: ignore[dict-item]
    before = {m.id for m in session.exec(select(OutboxMessage)).all()}

    promoted = service.withdraw(session, settings, user=samoa, nomination=first, offer=offer)

    assert promoted is not None and promoted.id == waiting_longest.id and promoted.status == "accepted"
    told = [m for m in session.exec(select(OutboxMessage)).all() if m.id not in before]
    assert [m.recipient for m in told] == [palau.email]
    assert told[0].subject.startswith("Une place pour votre État") and "Ngirmang" not in told[0].body


def test_decisions_never_exceed_the_seats_or_a_states_quota_and_a_decline_needs_a_reason(
    session: Session, coordinator: Any
) -> None:
    offer = published(session, coordinator, seats=2, seats_per_state=1)
    samoa, tonga, fiji = focal_point(session, "WS"), focal_point(session, "TO"), focal_point(session, "FJ")
    people = [
        candidate(session, offer, user, name) for user, name in ((samoa, "Sina"), (tonga, "Mele"), (fiji, "Litia"))
    ]
    settings = get_settings()
    with pytest.raises(Conflict) as refused:
        service.allocate(
            session, settings, user=coordinator, offer=offer, decisions={p.id: "accepted" for p in people}, reasons={}
        )  # type: ignore[misc]
    assert said(refused) == "This would accept 3 people for 2 seats."
    with pytest.raises(DomainError) as refused:
        service.allocate(
            session, settings, user=coordinator, offer=offer, decisions={people[0].id: "declined"}, reasons={}
        )  # type: ignore[dict-item]
    assert said(refused) == "Give a reason for each declined nomination."
    session.rollback()
    assert {n.status for n in session.exec(select(Nomination)).all()} == {"nominated"}


def test_outcomes_wait_for_the_course_and_saat_results_only_fit_a_certifying_course(
    session: Session, coordinator: Any
) -> None:
    settings = get_settings()
    offer = published(session, coordinator)
    staff_course = published(session, coordinator, course_type="staff-officer", track="military")
    samoa = focal_point(session, "WS")
    sina, tavita = candidate(session, offer, samoa, "Sina"), candidate(session, staff_course, samoa, "Tavita", "man")
    for course, person in ((offer, sina), (staff_course, tavita)):
        service.allocate(
            session,
            settings,
            user=coordinator,
            offer=course,
            decisions={person.id: "accepted"},  # type: ignore[dict-item]
            reasons={},
        )
    today = date.today().isoformat()
    with pytest.raises(Conflict) as refused:
        service.record_outcomes(session, user=coordinator, offer=offer, outcomes={sina.id: ("passed", today)})  # type: ignore[dict-item]
    assert said(refused) == "Outcomes are recorded once nominations are closed."
    for course in (offer, staff_course):
        service.set_status(session, settings, user=coordinator, offer=course, status="closed")
        course.starts_on, course.ends_on = date.today() - timedelta(days=5), date.today() - timedelta(days=1)
        session.add(course)
    session.commit()
    with pytest.raises(DomainError) as refused:
        service.record_outcomes(session, user=coordinator, offer=staff_course, outcomes={tavita.id: ("passed", today)})  # type: ignore[dict-item]
    assert said(refused) == "Choose an outcome from the list."
    with pytest.raises(DomainError) as refused:
        # Tomorrow where the provider is: the course's dates are lived in its zone, across the date line.
        tomorrow_there = datetime.now(ZoneInfo(offer.zone)).date() + timedelta(days=1)
        service.record_outcomes(
            session, user=coordinator, offer=offer, outcomes={sina.id: ("passed", tomorrow_there.isoformat())}
        )  # type: ignore[dict-item]
    assert said(refused) == "An outcome's date falls between the course's first day and today."
    assert service.record_outcomes(session, user=coordinator, offer=offer, outcomes={sina.id: ("passed", today)}) == 1  # type: ignore[dict-item]


def test_a_saat_pass_counts_as_ready_only_within_the_validity_the_seeds_set(session: Session, coordinator: Any) -> None:
    settings = get_settings()
    offer = published(session, coordinator)
    samoa = focal_point(session, "WS")
    recent, old = candidate(session, offer, samoa, "Sina"), candidate(session, offer, samoa, "Tavita", "man")
    months = service.valid_months(settings.seeds_dir)
    for person, day in (
        (recent, date.today() - timedelta(days=10)),
        (old, date.today() - timedelta(days=round(months * 30.44) + 10)),
    ):
        person.status, person.outcome, person.outcome_on = "accepted", "passed", day
        session.add(person)
    session.commit()
    [row] = [r for r in service.certified_view(session, settings) if r.state.code == "WS"]
    assert (row.ready, row.ready_women, row.certified, row.latest) == (1, 1, 2, date.today() - timedelta(days=10))
