"""Course offers: what a provider enters, and an offer's life from draft to completed or cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import clock
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden, Label
from app.core.forms import FieldErrors, parse_day
from app.core.i18n import N_, current_language
from app.meetings import timing
from app.members import queries as member_queries
from app.members.models import MemberState
from app.training import mail
from app.training.models import (
    LANGUAGES,
    OFFER_STATUSES,
    OFFER_TRACKS,
    CourseType,
    Nomination,
    OfferEvent,
    TrainingOffer,
)
from app.training.service.rules import (
    ACTIVE,
    MAX_SEATS,
    NEXT_STATUSES,
    count_nominations,
    lock_offer,
    may_offer,
    nominations,
    require_manager,
    tell_states,
)


@dataclass
class OfferForm:
    """What a provider enters for an offer."""

    title: str
    course_type: str
    track: str
    starts_on: str
    ends_on: str
    deadline_on: str
    seats: str | int
    seats_per_state: str | int
    languages: Sequence[str]
    online: bool = False
    venue_state: str = ""
    city: str = ""
    provider_state: str = ""
    provider_organisation: str = ""
    eligibility: str = ""
    cost_sharing: str = ""
    contact: str = ""
    zone: str = ""


def _whole(value: str | int, low: int, high: int, message: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(message, low=low, high=high) from None
    if not low <= number <= high:
        raise DomainError(message, low=low, high=high)
    return number


def _place_zone(session: Session, venue: MemberState | None, provider_state_id: int | None) -> str:
    """The zone an offer's dates are read in when none is chosen: the venue state's capital's, else the providing
    state's; '' when neither is known."""
    state = venue or (session.get(MemberState, provider_state_id) if provider_state_id else None)
    return state.time_zones[0] if state is not None and state.time_zones else ""


def _provider(session: Session, user: User, form: OfferForm) -> tuple[int | None, str]:
    """A focal point offers for their own state; coordinators and admins choose a state or name an organisation."""
    if user.role == Role.focal_point.value:
        return user.member_state_id, ""
    state = member_queries.state_by_code(session, form.provider_state)
    if state is not None:
        return state.id, ""
    organisation = form.provider_organisation.strip()
    if form.provider_state.strip() or not organisation or len(organisation) > 120:
        raise DomainError(N_("Choose the providing state or name the providing organisation."))
    return None, organisation


class OfferFields(TypedDict):
    """An offer's fields as the form gives them, once checked."""

    title: str
    course_type_id: int
    track: str
    starts_on: date
    ends_on: date
    deadline_on: date
    seats: int
    seats_per_state: int
    languages: str
    online: bool
    venue_state_id: int | None
    city: str
    eligibility: str
    cost_sharing: str
    contact: str
    zone: str
    provider_state_id: int | None
    provider_organisation: str


def _checked(session: Session, user: User, form: OfferForm, offer: TrainingOffer | None) -> OfferFields:
    """The offer's fields from the form, or one refusal naming every field that is wrong; a rule across fields runs
    once the fields it compares are right."""
    errors = FieldErrors()
    title = form.title.strip()
    if not title or len(title) > 200:
        errors.add(DomainError(N_("Give the course a title of at most 200 characters.")))
    with errors.field():
        kind = _course_type(session, form.course_type)
    if form.track not in OFFER_TRACKS:
        errors.add(DomainError(N_("Choose a track from the list.")))
    with errors.field() as starting:
        starts = parse_day(form.starts_on, N_("Give the first day of the course as a date."))
    with errors.field() as ending:
        ends = parse_day(form.ends_on, N_("Give the last day of the course as a date."))
    if starting.ok and ending.ok and ends < starts:
        errors.add(DomainError(N_("The course ends before it starts.")))
    with errors.field() as closing:
        deadline = parse_day(form.deadline_on, N_("Give the nomination deadline as a date."))
    if starting.ok and closing.ok and deadline > starts:
        errors.add(DomainError(N_("The nomination deadline must be on or before the first day of the course.")))
    with errors.field() as seating:
        seats = _whole(form.seats, 1, MAX_SEATS, N_("Seats: a whole number from %(low)s to %(high)s."))
    most = seats if seating.ok else MAX_SEATS  # a wrong number of seats still lets the seats per state be checked
    with errors.field() as sharing:
        per_state = _whole(
            form.seats_per_state, 1, most, N_("Seats per state: a whole number from %(low)s to %(high)s.")
        )
    languages = [code for code in LANGUAGES if code in form.languages]
    if not languages or len(languages) != len(set(form.languages)):
        errors.add(DomainError(N_("Choose the languages the course is given in.")))
    venue = member_queries.state_by_code(session, form.venue_state)
    city = form.city.strip()
    if not form.online and (venue is None or not city or len(city) > 120):
        errors.add(DomainError(N_("A course in person needs the state and the city where it takes place.")))
    if offer is not None and seating.ok and sharing.ok:
        with errors.field():
            _keep_room_for_accepted(session, offer, seats, per_state)
    with errors.field() as providing:
        state_id, organisation = (
            _provider(session, user, form) if offer is None else (offer.provider_state_id, offer.provider_organisation)
        )
    if providing.ok:
        with errors.field() as zoning:
            zone = _zone(session, user, form, None if form.online else venue, state_id)
        if zoning.ok and closing.ok and _deadline_passed(offer, deadline, zone):
            errors.add(DomainError(N_("The nomination deadline has already passed.")))
    errors.raise_any()
    return {
        "title": title,
        "course_type_id": id_of(kind),
        "track": form.track,
        "starts_on": starts,
        "ends_on": ends,
        "deadline_on": deadline,
        "seats": seats,
        "seats_per_state": per_state,
        "languages": " ".join(languages),
        "online": form.online,
        "venue_state_id": None if form.online or venue is None else venue.id,
        "city": "" if form.online else city,
        "eligibility": form.eligibility.strip()[:5000],
        "cost_sharing": form.cost_sharing.strip()[:5000],
        "contact": form.contact.strip()[:254],
        "zone": zone,
        "provider_state_id": state_id,
        "provider_organisation": organisation,
    }


def _course_type(session: Session, key: str) -> CourseType:
    kind = session.exec(select(CourseType).where(CourseType.key == key)).first()
    if kind is None:
        raise DomainError(N_("Choose a course type from the list."))
    return kind


def _deadline_passed(offer: TrainingOffer | None, deadline: date, zone: str) -> bool:
    """A new deadline already behind the offer's zone; a deadline the offer already had may stay."""
    return (offer is None or offer.deadline_on != deadline) and deadline < clock.today(zone)


def _zone(
    session: Session, user: User, form: OfferForm, venue: MemberState | None, provider_state_id: int | None
) -> str:
    """The zone chosen, else the place's (see _place_zone), else the user's own."""
    zone = form.zone.strip() or _place_zone(session, venue, provider_state_id) or user.time_zone
    if not timing.known_zone(zone):
        raise DomainError(N_("Choose a time zone from the list."))
    return zone


def _keep_room_for_accepted(session: Session, offer: TrainingOffer, seats: int, per_state: int) -> None:
    """Refuses fewer seats than people accepted, or fewer seats per state than one state's accepted people."""
    accepted = count_nominations(session, id_of(offer), ("accepted",))
    if seats < accepted:
        raise Conflict(
            N_("%(accepted)s people are already accepted: keep at least that many seats."), accepted=accepted
        )
    most = session.exec(
        select(Nomination.state_id, func.count())
        .where(Nomination.offer_id == offer.id, Nomination.status == "accepted")
        .group_by(col(Nomination.state_id))
        .order_by(func.count().desc(), col(Nomination.state_id))
    ).first()
    if most is not None and most[1] > per_state:
        state = session.get_one(MemberState, most[0])
        raise Conflict(
            N_("People already accepted from %(state)s: %(count)s. Keep at least that many seats per state."),
            state=state.name(current_language.get()),
            count=most[1],
        )


def create_offer(session: Session, *, user: User, form: OfferForm) -> TrainingOffer:
    """A draft offer; the provider publishes it when ready."""
    if not may_offer(user):
        raise Forbidden(N_("Your role does not let you offer courses."))
    offer = TrainingOffer(
        **_checked(session, user, form, None), status="draft", created_at=clock.now(), created_by=user.id
    )
    session.add(offer)
    session.flush()
    _offer_event(session, offer, "draft", user)
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="training_offer",
        entity_id=offer.id,
        after={"title": offer.title},
    )
    session.commit()
    return offer


def update_offer(session: Session, *, user: User, offer: TrainingOffer, form: OfferForm) -> TrainingOffer:
    require_manager(user, offer)
    if offer.status in ("completed", "cancelled"):
        raise Conflict(N_("A completed or cancelled offer can no longer be changed."))
    lock_offer(session, offer)
    for name, value in _checked(session, user, form, offer).items():
        setattr(offer, name, value)
    session.add(offer)
    audit.record(session, actor_id=user.id, action="update", entity="training_offer", entity_id=offer.id)
    session.commit()
    return offer


def set_status(session: Session, settings: Settings, *, user: User, offer: TrainingOffer, status: str) -> None:
    """Moves the offer along its life; cancelling tells the states that nominated."""
    require_manager(user, offer)
    if status not in NEXT_STATUSES.get(offer.status, ()):
        raise Conflict(
            N_("This offer cannot go from “%(now)s” to “%(next)s”."),
            now=Label(OFFER_STATUSES[offer.status]),
            next=Label(OFFER_STATUSES.get(status, status)),
        )
    if status == "published" and offer.deadline_on < clock.today(offer.zone):
        raise Conflict(N_("The nomination deadline has already passed."))
    offer.status = status
    session.add(offer)
    _offer_event(session, offer, status, user)
    if status == "cancelled":
        states = {n.state_id for n in nominations(session, id_of(offer), ACTIVE)}
        tell_states(session, settings, offer, states, mail.cancelled_message)
    audit.record(session, actor_id=user.id, action=f"status:{status}", entity="training_offer", entity_id=offer.id)
    session.commit()


def _offer_event(session: Session, offer: TrainingOffer, status: str, user: User) -> None:
    session.add(OfferEvent(offer_id=id_of(offer), status=status, at=clock.now(), by=user.id))
