"""The training domain through its service: offers and their life, nominations, seat allocation, the waiting list,
outcomes, erasure of personal data, the certified view and the reports."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import extract
from sqlmodel import Session, col, func, select

from app.auth.models import User
from app.core.config import get_settings
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.outbox.models import OutboxMessage
from app.training import service
from app.training.models import (
    Nomination,
    NominationEvent,
    NominationTally,
    OfferEvent,
    OfferTally,
    TrainingOffer,
)
from tests.factories import make_user, state
from tests.training.conftest import offer_form

STATUS_LABELS = {
    "draft": "Draft",
    "published": "Published",
    "closed": "Nominations closed",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
TITLE = "SAAT preparation, Nadi"


# Small helpers


def focal_point(session: Session, code: str, **fields: Any) -> User:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, password=None, **fields)


def put_forward(
    session: Session, offer: TrainingOffer, user: User, name: str, gender: str = "woman", **fields: Any
) -> Nomination:
    """`user` nominates a candidate of their state."""
    return service.nominate(
        session, user=user, offer=offer, form=service.CandidateForm(full_name=name, gender=gender, **fields)
    )


def decide(
    session: Session, user: User, offer: TrainingOffer, *choices: tuple[Nomination, str] | tuple[Nomination, str, str]
) -> int:
    """Applies the provider's decisions, each (nomination, decision) or (nomination, "declined", reason)."""
    return service.allocate(
        session,
        get_settings(),
        user=user,
        offer=offer,
        decisions={c[0].id: c[1] for c in choices},  # type: ignore[misc]
        reasons={c[0].id: c[2] for c in choices if len(c) == 3},
    )  # type: ignore[misc]


def accept_all(session: Session, user: User, offer: TrainingOffer, *people: Nomination) -> int:
    return decide(session, user, offer, *((person, "accepted") for person in people))


def move_to(session: Session, user: User, offer: TrainingOffer, status: str) -> None:
    service.set_status(session, get_settings(), user=user, offer=offer, status=status)


def said(error: pytest.ExceptionInfo[DomainError]) -> str:
    """The refusal as an English-speaking user reads it."""
    return error.value.message % error.value.params if error.value.params else error.value.message


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def mail_to(session: Session, *people: User) -> list[OutboxMessage]:
    """Queued emails addressed to these people, oldest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.recipient).in_([p.email for p in people]))
            .order_by(col(OutboxMessage.id))
        ).all()
    )


def statuses(session: Session, *people: Nomination) -> list[str]:
    """The stored status of each nomination, read again from the database."""
    session.expire_all()
    return [session.get_one(Nomination, p.id).status for p in people]


def started(session: Session, offer: TrainingOffer, days_ago: int) -> None:
    """Moves the course's dates into the past, as if it had begun `days_ago` days ago."""
    offer.starts_on = date.today() - timedelta(days=days_ago)
    offer.ends_on = offer.starts_on + timedelta(days=4)
    offer.deadline_on = offer.starts_on - timedelta(days=10)
    session.add(offer)
    session.commit()


def local_today(offer: TrainingOffer) -> date:
    return datetime.now(ZoneInfo(offer.zone)).date()


def offered(session: Session, user: User, **changes: Any) -> TrainingOffer:
    """An offer created and published through the service with `offer_form(**changes)`."""
    offer = service.create_offer(session, user=user, form=offer_form(**changes))
    move_to(session, user, offer, "published")
    return offer


# Offers


def _iso(day: date) -> str:
    return day.isoformat()


BAD_OFFERS: dict[str, tuple[Callable[[date], dict[str, Any]], str]] = {
    "ends before it starts": (
        lambda first: {"ends_on": _iso(first - timedelta(days=1))},
        "The course ends before it starts.",
    ),
    "deadline after the first day": (
        lambda first: {"deadline_on": _iso(first + timedelta(days=1))},
        "The nomination deadline must be on or before the first day of the course.",
    ),
    "deadline already passed": (
        lambda first: {"deadline_on": _iso(datetime.now(ZoneInfo("Pacific/Fiji")).date() - timedelta(days=1))},
        "The nomination deadline has already passed.",
    ),
    "no seats": (lambda first: {"seats": 0}, "Seats: a whole number from 1 to 500."),
    "more per state than seats": (
        lambda first: {"seats": 3, "seats_per_state": 4},
        "Seats per state: a whole number from 1 to 3.",
    ),
    "unknown course type": (
        lambda first: {"course_type": "underwater-basket-weaving"},
        "Choose a course type from the list.",
    ),
    "unknown track": (lambda first: {"track": "navy"}, "Choose a track from the list."),
    "in person without a venue": (
        lambda first: {"venue_state": ""},
        "A course in person needs the state and the city where it takes place.",
    ),
    "in person without a city": (
        lambda first: {"city": "  "},
        "A course in person needs the state and the city where it takes place.",
    ),
    "no language": (lambda first: {"languages": []}, "Choose the languages the course is given in."),
}


@pytest.mark.parametrize("case", list(BAD_OFFERS))
def test_a_bad_offer_field_is_refused_with_its_own_message_and_nothing_is_created(
    session: Session, provider: User, case: str
) -> None:
    changes, message = BAD_OFFERS[case]
    first_day = date.fromisoformat(offer_form().starts_on)
    offers, events = count(session, TrainingOffer), count(session, OfferEvent)
    with pytest.raises(DomainError) as refused:
        service.create_offer(session, user=provider, form=offer_form(**changes(first_day)))
    assert said(refused) == message
    assert (count(session, TrainingOffer), count(session, OfferEvent)) == (offers, events)


def test_an_online_course_needs_no_venue_and_a_focal_point_always_offers_for_their_own_state(
    session: Session, provider: User
) -> None:
    offer = service.create_offer(
        session,
        user=provider,
        form=offer_form(online=True, venue_state="", city="", provider_state="WS", languages=["fr", "en"]),
    )
    assert offer.status == "draft"
    assert offer.provider_state_id == state(session, "FJ").id
    assert (offer.venue_state_id, offer.city, offer.language_codes()) == (None, "", ["en", "fr"])


def test_observers_cannot_offer_courses(session: Session) -> None:
    observer = make_user(session, role="observer", password=None)
    with pytest.raises(Forbidden) as refused:
        service.create_offer(session, user=observer, form=offer_form())
    assert said(refused) == "Your role does not let you offer courses."
    assert count(session, TrainingOffer) == 0


def test_a_draft_is_hidden_from_everyone_but_those_who_manage_it_until_it_is_published(
    session: Session, provider: User, coordinator: User
) -> None:
    offer = service.create_offer(session, user=provider, form=offer_form())
    samoa, observer = focal_point(session, "WS"), make_user(session, role="observer", password=None)
    admin, colleague = make_user(session, role="admin", password=None), focal_point(session, "FJ")
    for outsider in (samoa, observer):
        with pytest.raises(NotFound):
            service.get_offer(session, offer.id, user=outsider)  # type: ignore[arg-type]
    for insider in (provider, colleague, coordinator, admin):
        assert service.get_offer(session, offer.id, user=insider).id == offer.id  # type: ignore[arg-type]
    move_to(session, provider, offer, "published")
    for anyone in (samoa, observer):
        assert service.get_offer(session, offer.id, user=anyone).status == "published"  # type: ignore[arg-type]


# The offer's life

ROUTES = {
    "draft": [],
    "published": ["published"],
    "closed": ["published", "closed"],
    "completed": ["published", "closed", "completed"],
    "cancelled": ["cancelled"],
}


def offer_in(session: Session, user: User, status: str) -> TrainingOffer:
    """A fresh offer moved through the service until it has `status`."""
    offer = service.create_offer(session, user=user, form=offer_form())
    for step in ROUTES[status]:
        move_to(session, user, offer, step)
    return offer


@pytest.mark.parametrize(
    ("now", "then"),
    [
        ("draft", "published"),
        ("draft", "cancelled"),
        ("published", "closed"),
        ("published", "cancelled"),
        ("closed", "published"),
        ("closed", "completed"),
        ("closed", "cancelled"),
    ],
)
def test_an_offer_moves_forward_along_its_life_and_each_step_is_recorded(
    session: Session, provider: User, now: str, then: str
) -> None:
    offer = offer_in(session, provider, now)
    move_to(session, provider, offer, then)
    session.expire_all()
    assert session.get_one(TrainingOffer, offer.id).status == then
    trail = session.exec(
        select(OfferEvent.status).where(OfferEvent.offer_id == offer.id).order_by(col(OfferEvent.id))
    ).all()
    assert trail == ["draft", *ROUTES[now], then]


@pytest.mark.parametrize(
    ("now", "then"),
    [
        ("draft", "closed"),
        ("draft", "completed"),
        ("published", "completed"),
        ("published", "draft"),
        ("closed", "draft"),
        ("completed", "published"),
        ("completed", "cancelled"),
        ("cancelled", "published"),
        ("cancelled", "draft"),
    ],
)
def test_an_offer_cannot_skip_a_step_go_back_to_draft_or_leave_an_end(
    session: Session, provider: User, now: str, then: str
) -> None:
    offer = offer_in(session, provider, now)
    with pytest.raises(Conflict) as refused:
        move_to(session, provider, offer, then)
    assert said(refused) == f"This offer cannot go from “{STATUS_LABELS[now]}” to “{STATUS_LABELS[then]}”."
    session.expire_all()
    assert session.get_one(TrainingOffer, offer.id).status == now


def test_closed_nominations_cannot_reopen_once_the_deadline_has_passed(session: Session, provider: User) -> None:
    offer = offer_in(session, provider, "closed")
    offer.deadline_on = local_today(offer) - timedelta(days=1)
    session.add(offer)
    session.commit()
    with pytest.raises(Conflict) as refused:
        move_to(session, provider, offer, "published")
    assert said(refused) == "The nomination deadline has already passed."


def test_only_the_providing_state_and_the_staff_change_an_offers_status(
    session: Session, provider: User, coordinator: User
) -> None:
    offer = offer_in(session, provider, "draft")
    for stranger in (focal_point(session, "WS"), make_user(session, role="observer", password=None)):
        with pytest.raises(Forbidden) as refused:
            move_to(session, stranger, offer, "published")
        assert said(refused) == "Only the course provider, coordinators and admins may do this."
    move_to(session, coordinator, offer, "published")
    assert offer.status == "published"


def test_cancelling_tells_each_nominating_states_focal_points_in_their_own_language(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa, samoa_colleague = focal_point(session, "WS"), focal_point(session, "WS", display_name="Tavita")
    caledonia = focal_point(session, "NC", language="fr", display_name="Amélie")
    tonga = focal_point(session, "TO")
    put_forward(session, published_offer, samoa, "Sina Leota")
    put_forward(session, published_offer, caledonia, "Léa Wamytan")

    move_to(session, provider, published_offer, "cancelled")

    assert mail_to(session, tonga, provider) == []
    url = f"http://testserver/training/{published_offer.id}"
    english = mail_to(session, samoa, samoa_colleague)
    assert sorted(m.recipient for m in english) == sorted([samoa.email, samoa_colleague.email])
    for message in english:
        assert message.subject == f"Cancelled: {TITLE}"
        assert "has been cancelled by its provider" in message.body and url in message.body
    [french] = mail_to(session, caledonia)
    assert french.subject == f"Annulée : {TITLE}"  # subjects are one line of plain spaces
    assert french.body.startswith("Bonjour Amélie,") and "a été annulé par son organisateur" in french.body
    for message in [*english, french]:
        assert "Sina" not in message.body and "Léa" not in message.body


# Nominations


@pytest.mark.parametrize("status", ["draft", "closed", "completed", "cancelled"])
def test_nominations_are_taken_only_while_the_offer_is_published(session: Session, provider: User, status: str) -> None:
    offer = offer_in(session, provider, status)
    with pytest.raises(Conflict) as refused:
        put_forward(session, offer, focal_point(session, "WS"), "Sina Leota")
    assert said(refused) == "This offer does not take nominations."
    assert count(session, Nomination) == 0


def test_the_deadline_day_ends_in_the_offers_zone_first_in_kiritimati_and_last_in_pago_pago(
    session: Session, provider: User
) -> None:
    """Kiritimati (UTC+14) is always a calendar day or two ahead of Pago Pago (UTC−11)."""
    now = datetime.now(UTC)
    kiritimati_today, pago_pago_today = (now + timedelta(hours=14)).date(), (now - timedelta(hours=11)).date()
    kiritimati = offered(session, provider, zone="Pacific/Kiritimati")
    pago_pago = offered(session, provider, zone="Pacific/Pago_Pago")
    samoa = focal_point(session, "WS")

    kiritimati.deadline_on = kiritimati_today
    session.add(kiritimati)
    session.commit()
    assert put_forward(session, kiritimati, samoa, "On the last day in Kiritimati").status == "nominated"

    for offer in (kiritimati, pago_pago):
        offer.deadline_on = pago_pago_today
        session.add(offer)
    session.commit()
    with pytest.raises(Conflict) as refused:
        put_forward(session, kiritimati, samoa, "A day late in Kiritimati")
    assert said(refused) == "The nomination deadline has passed."
    assert put_forward(session, pago_pago, samoa, "On the last day in Pago Pago").status == "nominated"


def test_a_state_nominates_at_most_its_quota_and_a_withdrawal_frees_a_place(
    session: Session, published_offer: TrainingOffer
) -> None:
    samoa, colleague, tonga = focal_point(session, "WS"), focal_point(session, "WS"), focal_point(session, "TO")
    first = put_forward(session, published_offer, samoa, "Sina Leota")
    put_forward(session, published_offer, colleague, "Tavita Aiono", "man")
    with pytest.raises(Conflict) as refused:
        put_forward(session, published_offer, samoa, "Iosefa Taala", "man")
    assert said(refused) == (
        "Your state has already nominated 2 candidates, the most this course takes from one state."
    )
    assert put_forward(session, published_offer, tonga, "Mele Taufa").status == "nominated"

    service.withdraw(session, get_settings(), user=samoa, nomination=first, offer=published_offer)
    assert put_forward(session, published_offer, colleague, "Iosefa Taala", "man").status == "nominated"
    active = [
        n
        for n in service.state_nominations(session, published_offer, state(session, "WS").id)  # type: ignore[arg-type]
        if n.status in service.ACTIVE
    ]
    assert [n.full_name for n in active] == ["Tavita Aiono", "Iosefa Taala"]


@pytest.mark.parametrize("role", ["coordinator", "admin", "observer"])
def test_only_a_focal_point_nominates(session: Session, published_offer: TrainingOffer, role: str) -> None:
    with pytest.raises(Forbidden) as refused:
        put_forward(session, published_offer, make_user(session, role=role, password=None), "Sina Leota")
    assert said(refused) == "Only a focal point nominates, for their own state."
    assert count(session, Nomination) == 0


def test_a_nomination_is_always_for_the_nominating_focal_points_state(
    session: Session, published_offer: TrainingOffer
) -> None:
    nomination = put_forward(session, published_offer, focal_point(session, "PG"), "Kila Dimo", "man")
    assert nomination.state_id == state(session, "PG").id


@pytest.mark.parametrize(
    ("name", "gender", "message"),
    [
        ("  ", "woman", "Give the candidate's full name (at most 160 characters)."),
        ("x" * 161, "woman", "Give the candidate's full name (at most 160 characters)."),
        ("Sina Leota", "unknown", "Choose the candidate's gender from the list."),
    ],
)
def test_a_candidate_needs_a_name_and_a_gender_from_the_list(
    session: Session, published_offer: TrainingOffer, name: str, gender: str, message: str
) -> None:
    with pytest.raises(DomainError) as refused:
        put_forward(session, published_offer, focal_point(session, "WS"), name, gender)
    assert said(refused) == message
    assert count(session, Nomination) == 0


def test_each_state_orders_its_own_candidates_and_moves_them_up_and_down(session: Session, provider: User) -> None:
    published_offer = offered(session, provider, seats_per_state=3)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sina, tavita, iosefa = (put_forward(session, published_offer, samoa, name) for name in ("Sina", "Tavita", "Iosefa"))
    mele = put_forward(session, published_offer, tonga, "Mele")
    assert [n.preference for n in (sina, tavita, iosefa, mele)] == [1, 2, 3, 1]

    def order() -> list[str]:
        session.expire_all()
        return [n.full_name for n in service.state_nominations(session, published_offer, sina.state_id)]

    service.move(session, user=samoa, nomination=iosefa, offer=published_offer, up=True)
    assert order() == ["Sina", "Iosefa", "Tavita"]
    service.move(session, user=samoa, nomination=sina, offer=published_offer, up=False)
    assert order() == ["Iosefa", "Sina", "Tavita"]
    service.move(session, user=samoa, nomination=iosefa, offer=published_offer, up=True)
    service.move(session, user=samoa, nomination=tavita, offer=published_offer, up=False)
    assert order() == ["Iosefa", "Sina", "Tavita"]

    for stranger in (tonga, provider):
        with pytest.raises(Forbidden) as refused:
            service.move(session, user=stranger, nomination=sina, offer=published_offer, up=True)
        assert said(refused) == "Only the state's focal points order its nominations."
    move_to(session, provider, published_offer, "closed")
    with pytest.raises(Conflict) as refused:
        service.move(session, user=samoa, nomination=sina, offer=published_offer, up=True)
    assert said(refused) == "The order can change only while nominations are open."
    assert order() == ["Iosefa", "Sina", "Tavita"]


def test_moving_a_withdrawn_candidate_is_refused_with_a_message_and_leaves_the_order(
    session: Session, published_offer: TrainingOffer
) -> None:
    """A page opened before the withdrawal still shows the arrows; using them must not fail."""
    samoa = focal_point(session, "WS")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina"),
        put_forward(session, published_offer, samoa, "Tavita"),
    )
    service.withdraw(session, get_settings(), user=samoa, nomination=tavita, offer=published_offer)
    with pytest.raises(DomainError):
        service.move(session, user=samoa, nomination=tavita, offer=published_offer, up=True)
    session.expire_all()
    assert [n.full_name for n in service.state_nominations(session, published_offer, sina.state_id)] == [
        "Sina",
        "Tavita",
    ]


# Allocation


def test_the_provider_never_accepts_more_people_than_the_course_has_seats(session: Session, provider: User) -> None:
    offer = offered(session, provider, seats=3)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    people = [
        put_forward(session, offer, samoa, "Sina"),
        put_forward(session, offer, samoa, "Tavita", "man"),
        put_forward(session, offer, tonga, "Mele"),
        put_forward(session, offer, tonga, "Sione", "man"),
    ]

    with pytest.raises(Conflict) as refused:
        accept_all(session, provider, offer, *people)
    assert said(refused) == "This would accept 4 people for 3 seats."
    session.rollback()
    assert statuses(session, *people) == ["nominated"] * 4

    assert accept_all(session, provider, offer, *people[:3]) == 3
    with pytest.raises(Conflict) as refused:
        decide(session, provider, offer, (people[3], "accepted"))
    assert said(refused) == "This would accept 4 people for 3 seats."
    session.rollback()
    assert decide(session, provider, offer, (people[0], "waitlisted"), (people[3], "accepted")) == 2
    assert statuses(session, *people) == ["waitlisted", "accepted", "accepted", "accepted"]


def test_no_state_gets_more_accepted_candidates_than_its_quota(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina"),
        put_forward(session, published_offer, samoa, "Tavita", "man"),
    )
    service.update_offer(session, user=provider, offer=published_offer, form=offer_form(seats_per_state=1))
    with pytest.raises(Conflict) as refused:
        accept_all(session, provider, published_offer, sina, tavita)
    assert said(refused) == "Seats per state: 1. This would accept more people than that from one state."
    session.rollback()
    assert statuses(session, sina, tavita) == ["nominated", "nominated"]
    decide(session, provider, published_offer, (sina, "accepted"), (tavita, "waitlisted"))
    assert statuses(session, sina, tavita) == ["accepted", "waitlisted"]


def test_declining_a_nomination_needs_a_reason_which_is_kept(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina"),
        put_forward(session, published_offer, samoa, "Tavita", "man"),
    )
    with pytest.raises(DomainError) as refused:
        decide(session, provider, published_offer, (sina, "accepted"), (tavita, "declined", "   "))
    assert said(refused) == "Give a reason for each declined nomination."
    session.rollback()
    assert statuses(session, sina, tavita) == ["nominated", "nominated"]

    decide(
        session,
        provider,
        published_offer,
        (sina, "accepted"),
        (tavita, "declined", "Rank below the course's requirement"),
    )
    session.expire_all()
    declined = session.get_one(Nomination, tavita.id)
    assert (declined.status, declined.reason) == ("declined", "Rank below the course's requirement")
    event, by = service.history(session, declined)[-1]
    assert (event.note, by) == ("Rank below the course's requirement", provider.display_name)


def test_only_the_provider_and_the_staff_allocate_seats(
    session: Session, coordinator: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    sina = put_forward(session, published_offer, samoa, "Sina")
    for outsider in (samoa, focal_point(session, "TO"), make_user(session, role="observer", password=None)):
        with pytest.raises(Forbidden):
            decide(session, outsider, published_offer, (sina, "accepted"))
    assert statuses(session, sina) == ["nominated"]
    assert decide(session, coordinator, published_offer, (sina, "accepted")) == 1


def test_each_state_with_decisions_gets_one_email_per_focal_point_with_counts_and_no_names(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa, samoa_colleague = focal_point(session, "WS"), focal_point(session, "WS")
    caledonia, tonga = focal_point(session, "NC", language="fr"), focal_point(session, "TO")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina Leota"),
        put_forward(session, published_offer, samoa, "Tavita Aiono", "man"),
    )
    lea = put_forward(session, published_offer, caledonia, "Léa Wamytan")
    put_forward(session, published_offer, tonga, "Mele Taufa")

    decide(
        session,
        provider,
        published_offer,
        (sina, "accepted"),
        (tavita, "declined", "Passport of Tavita Aiono expires"),
        (lea, "waitlisted"),
    )

    assert mail_to(session, tonga, provider) == []
    english = mail_to(session, samoa, samoa_colleague)
    assert sorted(m.recipient for m in english) == sorted([samoa.email, samoa_colleague.email])
    for message in english:
        assert message.subject == f"Nominations for {TITLE}: decisions"
        assert "- 1 candidate accepted" in message.body and "- 1 candidate declined" in message.body
        assert "waiting list" not in message.body
    [french] = mail_to(session, caledonia)
    assert french.subject == f"Candidatures pour {TITLE} : décisions"
    assert "1 candidat sur liste d’attente" in french.body
    for message in [*english, french]:
        for private in ("Sina", "Tavita", "Léa", "Leota", "Passport"):
            assert private not in message.subject + message.body

    assert decide(session, provider, published_offer, (sina, "accepted"), (lea, "waitlisted")) == 0
    assert len(mail_to(session, samoa, samoa_colleague, caledonia)) == 3


def test_the_preview_shows_the_womens_share_the_decisions_would_give_without_saving_them(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina"),
        put_forward(session, published_offer, samoa, "Tavita", "man"),
    )
    mele, sione = (
        put_forward(session, published_offer, tonga, "Mele"),
        put_forward(session, published_offer, tonga, "Sione", "man"),
    )
    decide(session, provider, published_offer, (tavita, "accepted"))

    preview = service.preview(
        session,
        published_offer,
        {
            sina.id: "accepted",
            mele.id: "accepted",  # type: ignore[dict-item]
            sione.id: "declined",
        },
    )
    assert (preview.accepted, preview.seats) == (3, 6)
    assert (preview.nominated.women, preview.nominated.counted) == (2, 4)
    assert preview.now.share == 0.0
    assert (preview.after.women, preview.after.counted) == (2, 3)
    assert statuses(session, sina, tavita, mele, sione) == ["nominated", "accepted", "nominated", "nominated"]


# The waiting list


def test_a_freed_seat_goes_to_the_longest_waiting_candidate_whose_state_has_room_and_that_state_is_told(
    session: Session, provider: User
) -> None:
    offer = offered(session, provider, seats=2, seats_per_state=2)
    samoa, tonga, cook = focal_point(session, "WS"), focal_point(session, "TO"), focal_point(session, "CK")
    caledonia = focal_point(session, "NC", language="fr")
    sina, tavita = put_forward(session, offer, samoa, "Sina"), put_forward(session, offer, samoa, "Tavita", "man")
    mele = put_forward(session, offer, tonga, "Mele")
    teina = put_forward(session, offer, cook, "Teina")
    lea = put_forward(session, offer, caledonia, "Léa")
    accept_all(session, provider, offer, sina, mele)
    for waiting in (tavita, lea, teina):
        decide(session, provider, offer, (waiting, "waitlisted"))
    service.update_offer(session, user=provider, offer=offer, form=offer_form(seats=2, seats_per_state=1))
    already_told = {m.id for m in session.exec(select(OutboxMessage)).all()}

    promoted = service.withdraw(session, get_settings(), user=tonga, nomination=mele, offer=offer)

    assert promoted is not None and promoted.id == lea.id
    assert statuses(session, sina, tavita, mele, teina, lea) == [
        "accepted",
        "waitlisted",
        "withdrawn",
        "waitlisted",
        "accepted",
    ]
    new = [m for m in session.exec(select(OutboxMessage)).all() if m.id not in already_told]
    assert [m.recipient for m in new] == [caledonia.email, provider.email], "the provider hears of the withdrawal"
    assert new[0].subject == f"Une place pour votre État : {TITLE}"
    assert "Léa" not in new[0].body


def test_withdrawing_a_candidate_without_a_seat_moves_nobody_up(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sina, mele = (
        put_forward(session, published_offer, samoa, "Sina"),
        put_forward(session, published_offer, tonga, "Mele"),
    )
    decide(session, provider, published_offer, (sina, "waitlisted"), (mele, "waitlisted"))
    told = mail_to(session, provider, tonga)
    assert service.withdraw(session, get_settings(), user=samoa, nomination=sina, offer=published_offer) is None
    assert statuses(session, sina, mele) == ["withdrawn", "waitlisted"]
    new = [m.recipient for m in mail_to(session, provider, tonga) if m not in told]
    assert new == [provider.email], "the provider is told of the withdrawal, Tonga of nothing"
    with pytest.raises(Conflict) as refused:
        service.withdraw(session, get_settings(), user=samoa, nomination=sina, offer=published_offer)
    assert said(refused) == "This nomination can no longer be withdrawn."


def test_only_the_candidates_state_or_the_staff_withdraws_a_nomination(
    session: Session, provider: User, coordinator: User, published_offer: TrainingOffer
) -> None:
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sina, tavita = (
        put_forward(session, published_offer, samoa, "Sina"),
        put_forward(session, published_offer, samoa, "Tavita", "man"),
    )
    for outsider in (tonga, provider, make_user(session, role="observer", password=None)):
        with pytest.raises(Forbidden) as refused:
            service.withdraw(session, get_settings(), user=outsider, nomination=sina, offer=published_offer)
        assert said(refused) == (
            "Only the nominating state's focal points, coordinators and admins may withdraw a candidate; "
            "the provider declines instead."
        )
    service.withdraw(session, get_settings(), user=coordinator, nomination=tavita, offer=published_offer)
    service.withdraw(session, get_settings(), user=samoa, nomination=sina, offer=published_offer)
    assert statuses(session, sina, tavita) == ["withdrawn", "withdrawn"]


# Outcomes


def accepted_on(
    session: Session, provider: User, offer: TrainingOffer, *people: tuple[User, str, str]
) -> list[Nomination]:
    """Nominates (focal point, name, gender) candidates and accepts them all."""
    chosen = [put_forward(session, offer, user, name, gender) for user, name, gender in people]
    accept_all(session, provider, offer, *chosen)
    return chosen


def test_outcomes_wait_until_nominations_close_and_fit_only_accepted_candidates(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    [sina] = accepted_on(session, provider, published_offer, (samoa, "Sina", "woman"))
    tavita = put_forward(session, published_offer, samoa, "Tavita", "man")
    decide(session, provider, published_offer, (tavita, "waitlisted"))
    yesterday = _iso(date.today() - timedelta(days=1))

    with pytest.raises(Conflict) as refused:
        service.record_outcomes(
            session, user=provider, offer=published_offer, outcomes={sina.id: ("passed", yesterday)}
        )  # type: ignore[dict-item]
    assert said(refused) == "Outcomes are recorded once nominations are closed."
    move_to(session, provider, published_offer, "closed")
    started(session, published_offer, days_ago=5)
    with pytest.raises(Conflict) as refused:
        service.record_outcomes(
            session, user=provider, offer=published_offer, outcomes={tavita.id: ("passed", yesterday)}
        )  # type: ignore[dict-item]
    assert said(refused) == "Outcomes are recorded only for accepted candidates."
    with pytest.raises(Forbidden):
        service.record_outcomes(session, user=samoa, offer=published_offer, outcomes={sina.id: ("passed", yesterday)})  # type: ignore[dict-item]
    session.expire_all()
    assert session.get_one(Nomination, sina.id).outcome == ""

    assert (
        service.record_outcomes(
            session, user=provider, offer=published_offer, outcomes={sina.id: ("passed", yesterday)}
        )
        == 1
    )  # type: ignore[dict-item]
    session.expire_all()
    recorded = session.get_one(Nomination, sina.id)
    assert (recorded.outcome, recorded.outcome_on) == ("passed", date.today() - timedelta(days=1))


def test_saat_results_fit_only_a_course_type_that_certifies(session: Session, provider: User) -> None:
    staff_course = offered(session, provider, course_type="staff-officer", track="military")
    samoa = focal_point(session, "WS")
    [tavita, sina] = accepted_on(session, provider, staff_course, (samoa, "Tavita", "man"), (samoa, "Sina", "woman"))
    move_to(session, provider, staff_course, "closed")
    started(session, staff_course, days_ago=5)
    today = _iso(date.today())
    for saat in ("passed", "not_passed"):
        with pytest.raises(DomainError) as refused:
            service.record_outcomes(session, user=provider, offer=staff_course, outcomes={tavita.id: (saat, today)})  # type: ignore[dict-item]
        assert said(refused) == "Choose an outcome from the list."
    assert (
        service.record_outcomes(
            session,
            user=provider,
            offer=staff_course,
            outcomes={tavita.id: ("completed", today), sina.id: ("not_completed", today)},
        )
        == 2
    )  # type: ignore[dict-item]


def test_an_outcome_is_dated_between_the_courses_first_day_and_today(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    [sina] = accepted_on(session, provider, published_offer, (samoa, "Sina", "woman"))
    move_to(session, provider, published_offer, "closed")
    started(session, published_offer, days_ago=5)
    first_day = published_offer.starts_on
    for wrong in (first_day - timedelta(days=1), local_today(published_offer) + timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            service.record_outcomes(
                session, user=provider, offer=published_offer, outcomes={sina.id: ("passed", _iso(wrong))}
            )  # type: ignore[dict-item]
        assert said(refused) == "An outcome's date falls between the course's first day and today."
    with pytest.raises(DomainError) as refused:
        service.record_outcomes(session, user=provider, offer=published_offer, outcomes={sina.id: ("passed", "soon")})  # type: ignore[dict-item]
    assert said(refused) == "Give the date of each outcome."
    for right in (first_day, date.today()):
        assert (
            service.record_outcomes(
                session, user=provider, offer=published_offer, outcomes={sina.id: ("passed", _iso(right))}
            )
            == 1
        )  # type: ignore[dict-item]


# Personal data


def test_a_candidate_is_found_only_by_their_state_the_provider_and_the_staff(
    session: Session, provider: User, coordinator: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    sina = put_forward(session, published_offer, samoa, "Sina Leota")
    for insider in (
        samoa,
        focal_point(session, "WS"),
        provider,
        coordinator,
        make_user(session, role="admin", password=None),
    ):
        assert service.get_nomination(session, sina.id, user=insider)[0].full_name == "Sina Leota"  # type: ignore[arg-type]
    for outsider in (focal_point(session, "TO"), make_user(session, role="observer", password=None)):
        with pytest.raises(NotFound) as refused:
            service.get_nomination(session, sina.id, user=outsider)  # type: ignore[arg-type]
        assert said(refused) == "No such nomination."
    with pytest.raises(NotFound):
        service.get_nomination(session, sina.id + 1000, user=coordinator)  # type: ignore[operator]


def test_the_csv_export_is_for_managers_only_and_makes_formula_like_cells_harmless(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    samoa = focal_point(session, "WS")
    put_forward(session, published_offer, samoa, '=HYPERLINK("http://x.example")', rank="+1", notes="@SUM(A1)")
    with pytest.raises(Forbidden):
        service.nominations_csv(session, user=samoa, offer=published_offer, language="en")
    [header, row] = list(
        csv.reader(io.StringIO(service.nominations_csv(session, user=provider, offer=published_offer, language="en")))
    )
    record = dict(zip(header, row, strict=True))
    assert record["Full name"] == '\'=HYPERLINK("http://x.example")'
    assert (record["Rank or grade"], record["Notes"], record["State"]) == ("'+1", "'@SUM(A1)", "Samoa")


def test_erasing_a_candidate_removes_their_personal_data_but_keeps_every_count(
    session: Session, provider: User, published_offer: TrainingOffer
) -> None:
    settings = get_settings()
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    sina = put_forward(
        session,
        published_offer,
        samoa,
        "Sina Leota",
        rank="Constable",
        service="Samoa Police",
        languages=["en"],
        notes="Speaks Samoan",
    )
    mele = put_forward(session, published_offer, tonga, "Mele Taufa", rank="Inspector")
    sione = put_forward(session, published_offer, tonga, "Sione Havili", "man")
    decide(
        session,
        provider,
        published_offer,
        (sina, "accepted"),
        (sione, "accepted"),
        (mele, "declined", "Mele Taufa's passport expires before the course"),
    )
    move_to(session, provider, published_offer, "closed")
    started(session, published_offer, days_ago=5)
    service.record_outcomes(
        session, user=provider, offer=published_offer, outcomes={sina.id: ("passed", _iso(date.today()))}
    )  # type: ignore[dict-item]

    def counts() -> tuple[object, ...]:
        [row] = [
            r
            for r in service.catalogue(session, user=provider, filters=service.Filters())
            if r.offer.id == published_offer.id
        ]
        region, per_state = service.report(session)
        ready = [(r.state.code, r.ready, r.ready_women, r.certified) for r in service.certified_view(session, settings)]
        records = {code: service.state_record(session, state(session, code))[0] for code in ("WS", "TO")}
        return (
            row.nominated,
            row.accepted,
            row.taken,
            region,
            {year: [(s.code, r) for s, r in rows] for year, rows in per_state.items()},
            ready,
            {code: [(r.kind.key, r.trained, r.women, r.certified) for r in rows] for code, rows in records.items()},
        )

    before = counts()
    assert "Sina Leota" in service.nominations_csv(session, user=provider, offer=published_offer, language="en")
    assert any("passport" in event.note for event, _ in service.history(session, mele))
    with pytest.raises(NotFound):
        service.erase(session, user=tonga, nomination=sina, offer=published_offer)
    service.erase(session, user=samoa, nomination=sina, offer=published_offer)
    service.erase(session, user=provider, nomination=mele, offer=published_offer)

    session.expire_all()
    assert counts() == before
    erased = session.get_one(Nomination, sina.id)
    assert (erased.full_name, erased.rank, erased.service, erased.languages, erased.notes) == ("",) * 5
    assert (erased.state_id, erased.gender, erased.status, erased.outcome) == (
        state(session, "WS").id,
        "woman",
        "accepted",
        "passed",
    )
    exported = service.nominations_csv(session, user=provider, offer=published_offer, language="en")
    for private in ("Sina", "Leota", "Constable", "Samoa Police", "Speaks Samoan", "Mele", "Inspector", "passport"):
        assert private not in exported
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert sorted((r["State"], r["Gender"], r["Status"], r["Outcome"]) for r in rows) == [
        ("Samoa", "Woman", "Accepted", "SAAT passed"),
        ("Tonga", "Man", "Accepted", ""),
        ("Tonga", "Woman", "Declined", ""),
    ]
    notes = session.exec(
        select(NominationEvent.note).where(col(NominationEvent.nomination_id).in_([sina.id, mele.id]))
    ).all()
    assert notes and not any("Mele" in note or "passport" in note for note in notes)


# Views and reports


def seeded_validity() -> int:
    with (get_settings().seeds_dir / "training.toml").open("rb") as handle:
        return int(tomllib.load(handle)["certification_valid_months"])


def test_the_certified_view_counts_only_saat_passes_within_the_validity_the_seeds_set(
    session: Session, provider: User
) -> None:
    months = seeded_validity()
    offer = offered(session, provider, seats_per_state=3)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    ana, ben, cara, fetu = accepted_on(
        session,
        provider,
        offer,
        (samoa, "Ana", "woman"),
        (samoa, "Ben", "man"),
        (samoa, "Cara", "woman"),
        (tonga, "Fetu", "man"),
    )
    move_to(session, provider, offer, "closed")
    started(session, offer, days_ago=(months + 6) * 31)
    recent = date.today() - timedelta(days=(months - 1) * 31)
    expired = date.today() - timedelta(days=(months + 1) * 31)
    service.record_outcomes(
        session,
        user=provider,
        offer=offer,
        outcomes={  # type: ignore[arg-type]
            ana.id: ("passed", _iso(recent)),
            ben.id: ("passed", _iso(expired)),
            cara.id: ("not_passed", _iso(date.today())),
            fetu.id: ("completed", _iso(date.today())),
        },
    )

    rows = {r.state.code: r for r in service.certified_view(session, get_settings())}
    assert (rows["WS"].ready, rows["WS"].ready_women, rows["WS"].certified, rows["WS"].latest) == (1, 1, 2, recent)
    assert (rows["TO"].ready, rows["TO"].ready_women, rows["TO"].certified, rows["TO"].latest) == (0, 0, 0, None)
    assert {code: r.ready for code, r in rows.items() if r.ready} == {"WS": 1}


def test_the_report_counts_seats_offered_nominated_and_filled_per_year_and_per_state(
    session: Session, provider: User, coordinator: User
) -> None:
    year = date.today().year + 3

    def course(user: User, seats: int, first_day: date, **changes: Any) -> TrainingOffer:
        offer = service.create_offer(
            session,
            user=user,
            form=offer_form(
                seats=seats,
                seats_per_state=min(seats, 2),
                starts_on=_iso(first_day),
                ends_on=_iso(first_day + timedelta(days=4)),
                deadline_on=_iso(first_day - timedelta(days=20)),
                **changes,
            ),
        )
        move_to(session, user, offer, "published")
        return offer

    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    fiji_course = course(provider, 4, date(year, 3, 2))
    s1, s2 = put_forward(session, fiji_course, samoa, "S1"), put_forward(session, fiji_course, samoa, "S2", "man")
    t1, t2 = put_forward(session, fiji_course, tonga, "T1"), put_forward(session, fiji_course, tonga, "T2", "man")
    decide(session, provider, fiji_course, (s1, "accepted"), (t1, "accepted"), (s2, "declined", "Rank"))
    service.withdraw(session, get_settings(), user=tonga, nomination=t2, offer=fiji_course)
    course(coordinator, 3, date(year, 6, 1), provider_state="", provider_organisation="UN Peace Operations")
    cancelled = course(provider, 10, date(year, 8, 1))
    put_forward(session, cancelled, samoa, "S3")
    move_to(session, provider, cancelled, "cancelled")
    service.create_offer(
        session,
        user=provider,
        form=offer_form(
            seats=5,
            starts_on=_iso(date(year, 9, 1)),
            ends_on=_iso(date(year, 9, 3)),
            deadline_on=_iso(date(year, 8, 1)),
        ),
    )
    next_year = course(provider, 2, date(year + 1, 2, 1))
    u1 = put_forward(session, next_year, samoa, "U1", "unspecified")
    decide(session, provider, next_year, (u1, "accepted"))

    region, per_state = service.report(session)

    def numbers(row: service.YearRow) -> tuple[object, ...]:
        shares = (row.nominated_share, row.filled_share)
        return (
            row.year,
            row.offered,
            row.nominated,
            row.filled,
            *((s.women, s.counted, s.unspecified) for s in shares),
        )

    assert [numbers(r) for r in region] == [
        (year, 7, 3, 2, (2, 3, 0), (2, 2, 0)),
        (year + 1, 2, 1, 1, (0, 0, 1), (0, 0, 1)),
    ]
    assert {y: [(s.code, numbers(r)) for s, r in rows] for y, rows in per_state.items()} == {
        year: [
            ("FJ", (year, 4, 0, 0, (0, 0, 0), (0, 0, 0))),
            ("WS", (year, 0, 2, 1, (1, 2, 0), (1, 1, 0))),
            ("TO", (year, 0, 1, 1, (1, 1, 0), (1, 1, 0))),
        ],
        year + 1: [
            ("FJ", (year + 1, 2, 0, 0, (0, 0, 0), (0, 0, 0))),
            ("WS", (year + 1, 0, 1, 1, (0, 0, 1), (0, 0, 1))),
        ],
    }
    assert region[0].nominated_share.share == pytest.approx(2 / 3)


def test_a_course_moved_into_the_next_year_takes_its_nominations_to_that_years_report(
    session: Session, provider: User
) -> None:
    year = date.today().year + 4
    first_day = date(year, 12, 1)
    offer = service.create_offer(
        session,
        user=provider,
        form=offer_form(
            starts_on=_iso(first_day),
            ends_on=_iso(first_day + timedelta(days=4)),
            deadline_on=_iso(first_day - timedelta(days=20)),
        ),
    )
    move_to(session, provider, offer, "published")
    samoa = focal_point(session, "WS")
    put_forward(session, offer, samoa, "S1")
    put_forward(session, offer, samoa, "S2", "man")

    def nominated_per_year() -> dict[int, int]:
        region, _ = service.report(session)
        return {row.year: row.nominated for row in region if row.year >= year}

    assert nominated_per_year() == {year: 2}
    later = date(year + 1, 1, 12)
    service.update_offer(
        session,
        user=provider,
        offer=offer,
        form=offer_form(
            starts_on=_iso(later), ends_on=_iso(later + timedelta(days=4)), deadline_on=_iso(later - timedelta(days=20))
        ),
    )
    assert nominated_per_year() == {year + 1: 2}
    move_to(session, provider, offer, "cancelled")
    assert nominated_per_year() == {}


def test_the_tallies_the_reports_and_the_catalogue_read_match_the_nominations_after_every_kind_of_change(
    session: Session, provider: User
) -> None:
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    offers = [offered(session, provider, seats_per_state=3) for _ in range(2)]
    people = [
        put_forward(session, offer, samoa, f"S{n}", gender)
        for n, (offer, gender) in enumerate([(offers[0], "woman"), (offers[0], "man"), (offers[1], "unspecified")])
    ]
    people.append(put_forward(session, offers[1], tonga, "T1"))
    decide(session, provider, offers[0], (people[0], "accepted"), (people[1], "declined", "Rank"))
    service.withdraw(session, get_settings(), user=tonga, nomination=people[3], offer=offers[1])
    move_to(session, provider, offers[1], "closed")

    kept = session.exec(
        select(
            NominationTally.year,
            NominationTally.state_id,
            NominationTally.status,
            NominationTally.gender,
            NominationTally.nominations,
        )
    ).all()
    year = extract("year", col(TrainingOffer.starts_on))
    counted = session.exec(
        select(year, Nomination.state_id, Nomination.status, Nomination.gender, func.count())
        .join(TrainingOffer, col(TrainingOffer.id) == col(Nomination.offer_id))
        .where(col(TrainingOffer.status).in_(("published", "closed", "completed")), Nomination.status != "withdrawn")
        .group_by(year, Nomination.state_id, Nomination.status, Nomination.gender)
    ).all()
    assert sorted(tuple(row) for row in kept) == sorted((int(row[0]), *row[1:]) for row in counted)
    assert len(kept) == 3
    kept_per_offer = session.exec(
        select(OfferTally.offer_id, OfferTally.status, OfferTally.gender, OfferTally.nominations)
    ).all()
    counted_per_offer = session.exec(
        select(Nomination.offer_id, Nomination.status, Nomination.gender, func.count()).group_by(
            Nomination.offer_id, Nomination.status, Nomination.gender
        )
    ).all()
    assert sorted(tuple(row) for row in kept_per_offer) == sorted(tuple(row) for row in counted_per_offer)
    assert len(kept_per_offer) == 4  # the withdrawn nomination too: an offer's tally keeps every status


def test_a_states_record_counts_trained_women_and_certified_people_per_course_type(
    session: Session, provider: User
) -> None:
    saat = offered(session, provider, seats_per_state=3)
    staff = offered(session, provider, course_type="staff-officer", track="military", seats_per_state=3)
    samoa, tonga = focal_point(session, "WS"), focal_point(session, "TO")
    ana, ben, cara = accepted_on(
        session, provider, saat, (samoa, "Ana", "woman"), (samoa, "Ben", "man"), (samoa, "Cara", "woman")
    )
    [fetu] = accepted_on(session, provider, saat, (tonga, "Fetu", "man"))
    dina, eli = accepted_on(session, provider, staff, (samoa, "Dina", "woman"), (samoa, "Eli", "man"))
    for offer in (saat, staff):
        move_to(session, provider, offer, "closed")
        started(session, offer, days_ago=20)

    def on(days_ago: int) -> str:
        return _iso(date.today() - timedelta(days=days_ago))

    service.record_outcomes(
        session,
        user=provider,
        offer=saat,
        outcomes={  # type: ignore[arg-type]
            ana.id: ("passed", on(3)),
            ben.id: ("not_passed", on(5)),
            fetu.id: ("passed", on(4)),
        },
    )
    service.record_outcomes(
        session,
        user=provider,
        offer=staff,
        outcomes={  # type: ignore[arg-type]
            dina.id: ("completed", on(1)),
            eli.id: ("not_completed", on(2)),
        },
    )

    rows, people = service.state_record(session, state(session, "WS"))
    assert [(r.kind.key, r.trained, r.women, r.certified) for r in rows] == [
        ("saat-preparation", 2, 1, 1),
        ("staff-officer", 1, 1, 0),
    ]
    assert [n.full_name for n, _offer in people] == ["Dina", "Ana", "Ben"]
    assert cara.full_name not in [n.full_name for n, _offer in people]
    rows, people = service.state_record(session, state(session, "TO"))
    assert [(r.kind.key, r.trained, r.women, r.certified) for r in rows] == [("saat-preparation", 1, 0, 1)]
