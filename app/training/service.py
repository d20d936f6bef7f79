"""Training offers and their life (draft → published → nominations closed → completed, or cancelled),
nominations in each state's order of preference, seat allocation, outcomes, erasure and reports."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import extract, true
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import Select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import paging, region
from app.core.config import Settings
from app.core.db import id_of, utcnow
from app.core.errors import Conflict, DomainError, Forbidden, Label, NotFound
from app.core.exports import safe_cell
from app.core.formats import zone_info
from app.core.i18n import N_, current_language, in_language
from app.core.i18n import gettext as _
from app.core.region import read_toml
from app.meetings import timing
from app.members import service as members
from app.members.models import MemberState
from app.outbox import service as outbox
from app.training import mail
from app.training.models import (
    GENDERS,
    LANGUAGES,
    NOMINATION_STATUSES,
    OFFER_STATUSES,
    OFFER_TRACKS,
    OUTCOMES,
    CourseType,
    Nomination,
    NominationEvent,
    OfferEvent,
    TrainingOffer,
)

MAX_SEATS = 500
STAFF = (Role.admin.value, Role.coordinator.value)
ACTIVE = ("nominated", "accepted", "waitlisted")
SEEN_BY_ALL = ("published", "closed", "completed", "cancelled")
NEXT_STATUSES = {
    "draft": ("published", "cancelled"),
    "published": ("closed", "cancelled"),
    "closed": ("published", "completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}
DECISIONS = ("accepted", "waitlisted", "declined")
SAAT_OUTCOMES = ("passed", "not_passed")
COURSE_OUTCOMES = ("completed", "not_completed")


# Who may do what


def manages(user: User, offer: TrainingOffer) -> bool:
    """Coordinators and admins (who also enter partner organisations' offers), and the providing state's focal
    points."""
    if user.role in STAFF:
        return True
    return (
        offer.provider_state_id is not None
        and user.role == Role.focal_point.value
        and user.member_state_id == offer.provider_state_id
    )


def may_offer(user: User) -> bool:
    """Coordinators and admins, and focal points for their own state."""
    return user.role in STAFF or (user.role == Role.focal_point.value and user.member_state_id is not None)


def sees_candidate(user: User, offer: TrainingOffer, nomination: Nomination) -> bool:
    """A candidate's details: their state's focal points, the provider, coordinators and admins."""
    own_state = user.role == Role.focal_point.value and user.member_state_id == nomination.state_id
    return own_state or manages(user, offer)


def may_withdraw(user: User, nomination: Nomination) -> bool:
    """The nominating state's focal points, coordinators and admins; the provider declines instead."""
    own_state = user.role == Role.focal_point.value and user.member_state_id == nomination.state_id
    return own_state or user.role in STAFF


def withdrawable(user: User, offer: TrainingOffer, nomination: Nomination) -> bool:
    """Whether the page offers the user to withdraw this candidate now."""
    still_open = offer.status not in ("completed", "cancelled") and nomination.status in ACTIVE
    return still_open and may_withdraw(user, nomination)


def _require_manager(user: User, offer: TrainingOffer) -> None:
    if not manages(user, offer):
        raise Forbidden(N_("Only the course provider, coordinators and admins may do this."))


def get_offer(session: Session, offer_id: int, *, user: User) -> TrainingOffer:
    """The offer if the user may see it: drafts only for who manages them; 404 otherwise, as if absent."""
    offer = session.get(TrainingOffer, offer_id)
    if offer is None or (offer.status not in SEEN_BY_ALL and not manages(user, offer)):
        raise NotFound(N_("No such training offer."))
    return offer


def get_nomination(session: Session, nomination_id: int, *, user: User) -> tuple[Nomination, TrainingOffer]:
    """A nomination the user may see, with its offer; 404 for anyone else, so ids cannot be probed."""
    nomination = session.get(Nomination, nomination_id)
    offer = session.get(TrainingOffer, nomination.offer_id) if nomination else None
    if nomination is None or offer is None or not sees_candidate(user, offer, nomination):
        raise NotFound(N_("No such nomination."))
    return nomination, offer


# Offers


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


def _day(value: str, message: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(message) from None


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
    state = members.find_state(session, form.provider_state)
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
    """The offer's fields from the form, or a DomainError naming the first problem."""
    title = form.title.strip()
    if not title or len(title) > 200:
        raise DomainError(N_("Give the course a title of at most 200 characters."))
    kind = session.exec(select(CourseType).where(CourseType.key == form.course_type)).first()
    if kind is None:
        raise DomainError(N_("Choose a course type from the list."))
    if form.track not in OFFER_TRACKS:
        raise DomainError(N_("Choose a track from the list."))
    starts = _day(form.starts_on, N_("Give the first day of the course as a date."))
    ends = _day(form.ends_on, N_("Give the last day of the course as a date."))
    if ends < starts:
        raise DomainError(N_("The course ends before it starts."))
    deadline = _day(form.deadline_on, N_("Give the nomination deadline as a date."))
    if deadline > starts:
        raise DomainError(N_("The nomination deadline must be on or before the first day of the course."))
    seats = _whole(form.seats, 1, MAX_SEATS, N_("Seats: a whole number from %(low)s to %(high)s."))
    per_state = _whole(form.seats_per_state, 1, seats, N_("Seats per state: a whole number from %(low)s to %(high)s."))
    languages = [code for code in LANGUAGES if code in form.languages]
    if not languages or len(languages) != len(set(form.languages)):
        raise DomainError(N_("Choose the languages the course is given in."))
    venue = members.find_state(session, form.venue_state)
    city = form.city.strip()
    if not form.online and (venue is None or not city or len(city) > 120):
        raise DomainError(N_("A course in person needs the state and the city where it takes place."))
    if offer is not None:
        _keep_room_for_accepted(session, offer, seats, per_state)
    state_id, organisation = (
        _provider(session, user, form) if offer is None else (offer.provider_state_id, offer.provider_organisation)
    )
    zone = form.zone.strip() or _place_zone(session, None if form.online else venue, state_id) or user.time_zone
    if not timing.known_zone(zone):
        raise DomainError(N_("Choose a time zone from the list."))
    if (offer is None or offer.deadline_on != deadline) and deadline < datetime.now(zone_info(zone)).date():
        raise DomainError(N_("The nomination deadline has already passed."))
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


def _keep_room_for_accepted(session: Session, offer: TrainingOffer, seats: int, per_state: int) -> None:
    """Refuses fewer seats than people accepted, or fewer seats per state than one state's accepted people."""
    accepted = _count(session, id_of(offer), ("accepted",))
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
        **_checked(session, user, form, None), status="draft", created_at=utcnow(), created_by=user.id
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
    _require_manager(user, offer)
    if offer.status in ("completed", "cancelled"):
        raise Conflict(N_("A completed or cancelled offer can no longer be changed."))
    _lock(session, offer)
    for name, value in _checked(session, user, form, offer).items():
        setattr(offer, name, value)
    session.add(offer)
    audit.record(session, actor_id=user.id, action="update", entity="training_offer", entity_id=offer.id)
    session.commit()
    return offer


def set_status(session: Session, settings: Settings, *, user: User, offer: TrainingOffer, status: str) -> None:
    """Moves the offer along its life; cancelling tells the states that nominated."""
    _require_manager(user, offer)
    if status not in NEXT_STATUSES.get(offer.status, ()):
        raise Conflict(
            N_("This offer cannot go from “%(now)s” to “%(next)s”."),
            now=Label(OFFER_STATUSES[offer.status]),
            next=Label(OFFER_STATUSES.get(status, status)),
        )
    if status == "published" and offer.deadline_on < datetime.now(zone_info(offer.zone)).date():
        raise Conflict(N_("The nomination deadline has already passed."))
    offer.status = status
    session.add(offer)
    _offer_event(session, offer, status, user)
    if status == "cancelled":
        states = {n.state_id for n in nominations(session, id_of(offer), ACTIVE)}
        _tell_states(session, settings, offer, states, mail.cancelled_message)
    audit.record(session, actor_id=user.id, action=f"status:{status}", entity="training_offer", entity_id=offer.id)
    session.commit()


def _offer_event(session: Session, offer: TrainingOffer, status: str, user: User) -> None:
    session.add(OfferEvent(offer_id=id_of(offer), status=status, at=utcnow(), by=user.id))


def _lock(session: Session, offer: TrainingOffer) -> TrainingOffer:
    """Locks the offer's row (PostgreSQL) so allocations and nominations on it happen one after the other."""
    return session.exec(
        select(TrainingOffer)
        .where(TrainingOffer.id == offer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# Nominations


@dataclass
class CandidateForm:
    full_name: str
    gender: str
    rank: str = ""
    service: str = ""
    languages: Sequence[str] = ()
    notes: str = ""


def deadline_passed(offer: TrainingOffer) -> bool:
    """Whether the deadline day has ended where the provider is."""
    return datetime.now(zone_info(offer.zone)).date() > offer.deadline_on


def _count(session: Session, offer_id: int, statuses: Iterable[str], *, state_id: int | None = None) -> int:
    query = (
        select(func.count())
        .select_from(Nomination)
        .where(Nomination.offer_id == offer_id, col(Nomination.status).in_(list(statuses)))
    )
    if state_id is not None:
        query = query.where(Nomination.state_id == state_id)
    return int(session.exec(query).one())


def nominations(session: Session, offer_id: int, statuses: Iterable[str] | None = None) -> list[Nomination]:
    query = select(Nomination).where(Nomination.offer_id == offer_id)
    if statuses is not None:
        query = query.where(col(Nomination.status).in_(list(statuses)))
    return list(
        session.exec(query.order_by(col(Nomination.state_id), col(Nomination.preference), col(Nomination.id))).all()
    )


def nominate(session: Session, *, user: User, offer: TrainingOffer, form: CandidateForm) -> Nomination:
    """A focal point puts a candidate of their state forward, last in the state's order of preference."""
    if user.role != Role.focal_point.value or user.member_state_id is None:
        raise Forbidden(N_("Only a focal point nominates, for their own state."))
    offer = _lock(session, offer)
    if offer.status != "published":
        raise Conflict(N_("This offer does not take nominations."))
    if deadline_passed(offer):
        raise Conflict(N_("The nomination deadline has passed."))
    name = form.full_name.strip()
    if not name or len(name) > 160:
        raise DomainError(N_("Give the candidate's full name (at most 160 characters)."))
    if form.gender not in GENDERS:
        raise DomainError(N_("Choose the candidate's gender from the list."))
    if len(form.rank.strip()) > 80 or len(form.service.strip()) > 120 or len(form.notes.strip()) > 1000:
        raise DomainError(N_("Rank, service or notes are too long."))
    languages = [code for code in LANGUAGES if code in form.languages]
    taken = _count(session, id_of(offer), ACTIVE, state_id=user.member_state_id)
    if taken >= offer.seats_per_state:
        raise Conflict(
            N_("Your state has already nominated %(count)s candidates, the most this course takes from one state."),
            count=taken,
        )
    last = (
        session.exec(
            select(func.max(Nomination.preference)).where(
                Nomination.offer_id == offer.id, Nomination.state_id == user.member_state_id
            )
        ).one()
        or 0
    )
    nomination = Nomination(
        offer_id=id_of(offer),
        state_id=user.member_state_id,
        preference=last + 1,
        full_name=name,
        rank=form.rank.strip(),
        service=form.service.strip(),
        gender=form.gender,
        languages=" ".join(languages),
        notes=form.notes.strip(),
        nominated_at=utcnow(),
        nominated_by=user.id,
    )
    session.add(nomination)
    session.flush()
    _record(
        session,
        nomination,
        "nominated",
        user,
        after={"offer_id": nomination.offer_id, "state_id": nomination.state_id, "preference": nomination.preference},
    )
    session.commit()
    return nomination


def state_nominations(session: Session, offer: TrainingOffer, state_id: int) -> list[Nomination]:
    """One state's nominations in its order of preference."""
    return list(
        session.exec(
            select(Nomination)
            .where(Nomination.offer_id == offer.id, Nomination.state_id == state_id)
            .order_by(col(Nomination.preference), col(Nomination.id))
        ).all()
    )


def move(session: Session, *, user: User, nomination: Nomination, offer: TrainingOffer, up: bool) -> None:
    """Swaps a nomination with its neighbour in the state's order of preference, before the deadline."""
    if user.role != Role.focal_point.value or user.member_state_id != nomination.state_id:
        raise Forbidden(N_("Only the state's focal points order its nominations."))
    if offer.status != "published" or deadline_passed(offer):
        raise Conflict(N_("The order can change only while nominations are open."))
    ordered = [n for n in state_nominations(session, offer, nomination.state_id) if n.status in ACTIVE]
    if nomination not in ordered:
        raise Conflict(N_("This nomination can no longer be moved."))
    index = ordered.index(nomination)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return
    neighbour = ordered[other]
    nomination.preference, neighbour.preference = neighbour.preference, nomination.preference
    for changed, before in ((nomination, neighbour.preference), (neighbour, nomination.preference)):
        session.add(changed)
        _record(
            session, changed, "moved", user, before={"preference": before}, after={"preference": changed.preference}
        )
    session.commit()


def _record(
    session: Session,
    nomination: Nomination,
    event: str,
    user: User,
    *,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    outcome: str = "",
    note: str = "",
) -> None:
    """Appends a change to the nomination's history and to the audit log, both naming who made it. The audit
    entry keeps statuses, places and outcomes, never the candidate's details nor a reason (erasure must reach all)."""
    session.add(
        NominationEvent(
            nomination_id=id_of(nomination), status=event, outcome=outcome, note=note[:500], at=utcnow(), by=user.id
        )
    )
    audit.record(
        session,
        actor_id=user.id,
        action="outcome" if outcome else event,
        entity="nomination",
        entity_id=nomination.id,
        before=before,
        after=after,
    )


def _set_status(
    session: Session, nomination: Nomination, status: str, user: User, *, event: str = "", note: str = ""
) -> None:
    """Gives the nomination a new status and records the change as `event` (the status itself by default)."""
    before = nomination.status
    nomination.status = status
    session.add(nomination)
    _record(session, nomination, event or status, user, before={"status": before}, after={"status": status}, note=note)


def withdraw(
    session: Session, settings: Settings, *, user: User, nomination: Nomination, offer: TrainingOffer
) -> Nomination | None:
    """Withdraws a candidate and tells the provider; a seat they held goes to the first on the waiting list whose
    state has room. Returns the promoted nomination, if any."""
    if not may_withdraw(user, nomination):
        raise Forbidden(
            N_(
                "Only the nominating state's focal points, coordinators and admins may withdraw a candidate; "
                "the provider declines instead."
            )
        )
    offer = _lock(session, offer)
    if offer.status in ("completed", "cancelled") or nomination.status not in ACTIVE:
        raise Conflict(N_("This nomination can no longer be withdrawn."))
    held_seat = nomination.status == "accepted"
    _set_status(session, nomination, "withdrawn", user)
    promoted = _promote(session, settings, offer, user) if held_seat else None
    _tell_withdrawal(session, settings, offer, nomination, user)
    session.commit()
    return promoted


def _tell_withdrawal(
    session: Session, settings: Settings, offer: TrainingOffer, nomination: Nomination, user: User
) -> None:
    """Queues an email to the provider, and to the nominating state when a coordinator or admin withdrew; the one
    who withdrew is not told. Each in the recipient's language, naming the state, never the candidate."""
    people = _provider_people(session, offer)
    if user.role in STAFF:
        people += _focal_points(session, [nomination.state_id])
    state = session.get_one(MemberState, nomination.state_id)
    url = f"{settings.base_url}/training/{offer.id}"
    for person in {p.id: p for p in people if p.id != user.id}.values():
        subject, body = mail.withdrawn_message(user=person, offer=offer, url=url, state=state, by=user.display_name)
        outbox.queue(session, recipient=person.email, subject=subject, body=body)


def _provider_people(session: Session, offer: TrainingOffer) -> list[User]:
    """Who answers for the provider: the providing state's focal points, or whoever entered a partner
    organisation's offer."""
    if offer.provider_state_id is not None:
        return _focal_points(session, [offer.provider_state_id])
    creator = session.get(User, offer.created_by) if offer.created_by is not None else None
    return [creator] if creator is not None and creator.is_active else []


def _promote(session: Session, settings: Settings, offer: TrainingOffer, user: User) -> Nomination | None:
    """Gives a free seat to the longest-waiting candidate whose state is under its quota, and tells the state; the
    change is recorded as made by `user`, whose withdrawal freed the seat."""
    session.flush()
    offer_id = id_of(offer)
    if _count(session, offer_id, ("accepted",)) >= offer.seats:
        return None
    waiting = session.exec(
        select(Nomination)
        .where(Nomination.offer_id == offer_id, Nomination.status == "waitlisted")
        .order_by(col(Nomination.waitlisted_at), col(Nomination.id))
    ).all()
    for candidate in waiting:
        if _count(session, offer_id, ("accepted",), state_id=candidate.state_id) < offer.seats_per_state:
            _set_status(session, candidate, "accepted", user, event="promoted")
            _tell_states(session, settings, offer, {candidate.state_id}, mail.promoted_message)
            return candidate
    return None


# Allocation


@dataclass
class Share:
    """Women among people whose gender is given, against the target that applies (if any)."""

    women: int
    counted: int
    unspecified: int

    @property
    def share(self) -> float | None:
        return self.women / self.counted if self.counted else None


def share_of(nominations: Iterable[Nomination]) -> Share:
    genders = [n.gender for n in nominations]
    return Share(
        women=genders.count("woman"),
        counted=genders.count("woman") + genders.count("man"),
        unspecified=genders.count("unspecified"),
    )


@dataclass
class Allocation:
    """What the provider sees before confirming: the seats taken and the women's share as it would become."""

    accepted: int
    seats: int
    nominated: Share
    now: Share
    after: Share
    over_quota: list[int]


def _decided(nominations: Sequence[Nomination], decisions: dict[int, str]) -> dict[int, str]:
    return {id_of(n): decisions.get(id_of(n), n.status) or n.status for n in nominations}


def preview(session: Session, offer: TrainingOffer, decisions: dict[int, str]) -> Allocation:
    """The allocation as it would be with `decisions` (nomination id → accepted/waitlisted/declined), with the states
    that would get more seats than their quota."""
    active = nominations(session, id_of(offer), ACTIVE)
    after = _decided(active, {k: v for k, v in decisions.items() if v in DECISIONS})
    chosen = [n for n in active if after[id_of(n)] == "accepted"]
    per_state = Counter(n.state_id for n in chosen)
    return Allocation(
        accepted=len(chosen),
        seats=offer.seats,
        nominated=share_of(active),
        now=share_of([n for n in active if n.status == "accepted"]),
        after=share_of(chosen),
        over_quota=sorted(state for state, count in per_state.items() if count > offer.seats_per_state),
    )


def allocate(
    session: Session,
    settings: Settings,
    *,
    user: User,
    offer: TrainingOffer,
    decisions: dict[int, str],
    reasons: dict[int, str],
) -> int:
    """Applies the provider's decisions in one transaction, never accepting more than the seats (the offer's row
    is locked, so two providers allocating at once are applied one after the other). Returns how many changed."""
    _require_manager(user, offer)
    offer = _lock(session, offer)
    if offer.status not in ("published", "closed"):
        raise Conflict(N_("Seats are allocated only while the offer is published or closed to nominations."))
    active = {id_of(n): n for n in nominations(session, id_of(offer), ACTIVE)}
    wanted = {key: value for key, value in decisions.items() if value in DECISIONS}
    if set(wanted) - set(active):
        raise Conflict(N_("A nomination has changed meanwhile; reload the page."))
    after = _decided(list(active.values()), wanted)
    taken = [n for n in active.values() if after[id_of(n)] == "accepted"]
    if len(taken) > offer.seats:
        raise Conflict(
            N_("This would accept %(wanted)s people for %(seats)s seats."), wanted=len(taken), seats=offer.seats
        )
    per_state: dict[int, int] = defaultdict(int)
    for nomination in taken:
        per_state[nomination.state_id] += 1
    if any(count > offer.seats_per_state for count in per_state.values()):
        raise Conflict(
            N_("Seats per state: %(quota)s. This would accept more people than that from one state."),
            quota=offer.seats_per_state,
        )
    changed: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, status in wanted.items():
        nomination = active[key]
        if status == nomination.status:
            continue
        reason = reasons.get(key, "").strip()
        if status == "declined" and not reason:
            raise DomainError(N_("Give a reason for each declined nomination."))
        nomination.reason = reason[:500] if status == "declined" else ""
        nomination.waitlisted_at = utcnow() if status == "waitlisted" else None
        _set_status(session, nomination, status, user, note=nomination.reason)
        changed[nomination.state_id][status] += 1
    for state_id, counts in changed.items():
        _tell_states(session, settings, offer, {state_id}, mail.decisions_message, counts=dict(counts))
    audit.record(
        session,
        actor_id=user.id,
        action="allocate",
        entity="training_offer",
        entity_id=offer.id,
        after={"changed": sum(sum(c.values()) for c in changed.values())},
    )
    session.commit()
    return sum(sum(c.values()) for c in changed.values())


def _focal_points(session: Session, state_ids: Iterable[int]) -> list[User]:
    """The active focal points of the states."""
    ids = list(state_ids)
    if not ids:
        return []
    return list(
        session.exec(
            select(User)
            .where(
                col(User.member_state_id).in_(ids), User.role == Role.focal_point.value, col(User.is_active).is_(True)
            )
            .order_by(col(User.display_name))
        ).all()
    )


def told_of_cancellation(session: Session, offer: TrainingOffer) -> list[User]:
    """Who hears that the offer is cancelled: the focal points of the states with a candidate still in it."""
    return _focal_points(session, {n.state_id for n in nominations(session, id_of(offer), ACTIVE)})


def _tell_states(
    session: Session, settings: Settings, offer: TrainingOffer, state_ids: Iterable[int], message, **extra: object
) -> None:
    """Queues one email to each active focal point of the states; emails carry no candidate's details."""
    url = f"{settings.base_url}/training/{offer.id}"
    for person in _focal_points(session, state_ids):
        subject, body = message(user=person, offer=offer, url=url, **extra)
        outbox.queue(session, recipient=person.email, subject=subject, body=body)


# After the course


def outcomes_for(session: Session, offer: TrainingOffer) -> tuple[str, ...]:
    kind = session.get(CourseType, offer.course_type_id)
    return SAAT_OUTCOMES + COURSE_OUTCOMES if kind and kind.certifies else COURSE_OUTCOMES


def record_outcomes(session: Session, *, user: User, offer: TrainingOffer, outcomes: dict[int, tuple[str, str]]) -> int:
    """Records each accepted candidate's outcome and its date (outcomes left empty are left as they were)."""
    _require_manager(user, offer)
    if offer.status not in ("closed", "completed"):
        raise Conflict(N_("Outcomes are recorded once nominations are closed."))
    allowed = outcomes_for(session, offer)
    accepted = {id_of(n): n for n in nominations(session, id_of(offer), ("accepted",))}
    today = datetime.now(zone_info(offer.zone)).date()
    changed = 0
    for key, (outcome, on) in outcomes.items():
        if not outcome:
            continue
        nomination = accepted.get(key)
        if nomination is None:
            raise Conflict(N_("Outcomes are recorded only for accepted candidates."))
        if outcome not in allowed:
            raise DomainError(N_("Choose an outcome from the list."))
        day = _day(on, N_("Give the date of each outcome."))
        if day > today or day < offer.starts_on:
            raise DomainError(N_("An outcome's date falls between the course's first day and today."))
        if (nomination.outcome, nomination.outcome_on) == (outcome, day):
            continue
        before = audit.snapshot(nomination, ("outcome", "outcome_on"))
        nomination.outcome, nomination.outcome_on = outcome, day
        session.add(nomination)
        _record(
            session,
            nomination,
            "accepted",
            user,
            before=before,
            after=audit.snapshot(nomination, ("outcome", "outcome_on")),
            outcome=outcome,
            note=day.isoformat(),
        )
        changed += 1
    audit.record(
        session,
        actor_id=user.id,
        action="outcomes",
        entity="training_offer",
        entity_id=offer.id,
        after={"changed": changed},
    )
    session.commit()
    return changed


def erase(session: Session, *, user: User, nomination: Nomination, offer: TrainingOffer) -> None:
    """Removes the candidate's personal data; their state, gender, status and outcome stay as counts."""
    if not sees_candidate(user, offer, nomination):
        raise NotFound(N_("No such nomination."))
    if nomination.erased_at is not None:
        return
    nomination.full_name = nomination.rank = nomination.service = nomination.languages = nomination.notes = ""
    nomination.reason = ""
    nomination.erased_at = utcnow()
    session.add(nomination)
    for event in session.exec(select(NominationEvent).where(NominationEvent.nomination_id == nomination.id)).all():
        if event.status == "declined":
            event.note = ""
            session.add(event)
    _record(session, nomination, "erased", user)
    session.commit()


def history(session: Session, nomination: Nomination) -> list[tuple[NominationEvent, str | None]]:
    """The nomination's changes, oldest first, with the name of who made each."""
    rows = session.exec(
        select(NominationEvent, User.display_name)
        .outerjoin(User, col(User.id) == NominationEvent.by)
        .where(NominationEvent.nomination_id == nomination.id)
        .order_by(col(NominationEvent.at), col(NominationEvent.id))
    ).all()
    return [(event, name) for event, name in rows]


def nominations_csv(session: Session, *, user: User, offer: TrainingOffer, language: str) -> str:
    """The offer's nominations as CSV for the provider; cells that a spreadsheet would run as formulas are quoted."""
    _require_manager(user, offer)
    names = {s.id: s.name(language) for s in session.exec(select(MemberState)).all()}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with in_language(language):
        writer.writerow(
            [
                _("State"),
                _("Preference"),
                _("Full name"),
                _("Rank or grade"),
                _("Service"),
                _("Gender"),
                _("Languages"),
                _("Notes"),
                _("Status"),
                _("Reason"),
                _("Outcome"),
                _("Outcome date"),
            ]
        )
        for n in nominations(session, id_of(offer)):
            writer.writerow(
                [
                    safe_cell(cell)
                    for cell in (
                        names.get(n.state_id, ""),
                        n.preference,
                        n.full_name,
                        n.rank,
                        n.service,
                        _(GENDERS[n.gender]),
                        " ".join(_(LANGUAGES[c]) for c in n.languages.split() if c in LANGUAGES),
                        n.notes,
                        _(NOMINATION_STATUSES[n.status]),
                        n.reason,
                        _(OUTCOMES[n.outcome]) if n.outcome else "",
                        n.outcome_on.isoformat() if n.outcome_on else "",  # ISO: data for a spreadsheet
                    )
                ]
            )
    return buffer.getvalue()


# Lists and views


@dataclass
class OfferRow:
    offer: TrainingOffer
    kind: CourseType
    nominated: Share
    accepted: Share
    taken: int


@dataclass
class Filters:
    track: str = ""
    course_type: str = ""
    language: str = ""
    provider: str = ""
    after: date | None = None
    before: date | None = None


def _visible(user: User) -> Any:
    """The condition `manages` and SEEN_BY_ALL set, in SQL: what the user may see of the offers."""
    if user.role in STAFF:
        return true()
    seen = col(TrainingOffer.status).in_(SEEN_BY_ALL)
    if user.role == Role.focal_point.value and user.member_state_id is not None:
        return or_(seen, col(TrainingOffer.provider_state_id) == user.member_state_id)
    return seen


def _catalogue_query(user: User, filters: Filters) -> Any:
    query = select(TrainingOffer).where(_visible(user))
    if filters.track in OFFER_TRACKS:
        query = query.where(
            col(TrainingOffer.track).in_([filters.track, "any"])
            if filters.track != "any"
            else TrainingOffer.track == "any"
        )
    if filters.course_type:
        query = query.join(CourseType).where(CourseType.key == filters.course_type)
    if filters.language in LANGUAGES:
        query = query.where(col(TrainingOffer.languages).contains(filters.language))
    if filters.provider:
        query = query.join(MemberState, col(MemberState.id) == col(TrainingOffer.provider_state_id)).where(
            MemberState.code == filters.provider.upper()
        )
    if filters.after:
        query = query.where(col(TrainingOffer.ends_on) >= filters.after)
    if filters.before:
        query = query.where(col(TrainingOffer.starts_on) <= filters.before)
    return query


def catalogue(session: Session, *, user: User, filters: Filters, page: int | None = None) -> list[OfferRow]:
    """Offers the user may see, soonest first, with their nomination counts: three queries whatever the size. With
    `page`, that page's offers and one more (see app.paging)."""
    query = _catalogue_query(user, filters).order_by(col(TrainingOffer.starts_on), col(TrainingOffer.id))
    if page is not None:
        query = query.limit(paging.PAGE_SIZE + 1).offset(paging.offset(page))
    offers = list(session.exec(query).all())
    kinds = {kind.id: kind for kind in session.exec(select(CourseType)).all()}
    counts = _gender_counts(session, [id_of(o) for o in offers])
    rows = []
    for offer in offers:
        tally = counts.get(id_of(offer), {})
        rows.append(
            OfferRow(
                offer,
                kinds[offer.course_type_id],
                _share(tally, ACTIVE),
                _share(tally, ("accepted",)),
                sum(tally.get(("accepted", g), 0) for g in GENDERS),
            )
        )
    return rows


def _gender_counts(session: Session, offer_ids: list[int]) -> dict[int, dict[tuple[str, str], int]]:
    if not offer_ids:
        return {}
    rows = session.exec(
        select(Nomination.offer_id, Nomination.status, Nomination.gender, func.count())
        .where(col(Nomination.offer_id).in_(offer_ids))
        .group_by(col(Nomination.offer_id), col(Nomination.status), col(Nomination.gender))
    ).all()
    counts: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for offer_id, status, gender, number in rows:
        counts[offer_id][(status, gender)] = number
    return counts


def _share(tally: dict[tuple[str, str], int], statuses: Iterable[str]) -> Share:
    women = sum(tally.get((s, "woman"), 0) for s in statuses)
    men = sum(tally.get((s, "man"), 0) for s in statuses)
    return Share(women=women, counted=women + men, unspecified=sum(tally.get((s, "unspecified"), 0) for s in statuses))


def catalogue_shares(session: Session, *, user: User, filters: Filters) -> tuple[Share, Share]:
    """The women's share over every offer the filters list (not only the page shown): among those nominated, and
    among those accepted, summed by the database per status and gender. One query."""
    offer_ids = _catalogue_query(user, filters).with_only_columns(col(TrainingOffer.id))
    tally: dict[tuple[str, str], int] = {
        (status, gender): number
        for status, gender, number in session.exec(
            select(Nomination.status, Nomination.gender, func.count())
            .where(col(Nomination.offer_id).in_(offer_ids))
            .group_by(col(Nomination.status), col(Nomination.gender))
        ).all()
    }
    return _share(tally, ACTIVE), _share(tally, ("accepted",))


def overall(rows: Sequence[OfferRow]) -> tuple[Share, Share]:
    """The women's share over the listed offers: among those nominated, and among those accepted."""

    def total(shares: Iterable[Share]) -> Share:
        items = list(shares)
        return Share(sum(s.women for s in items), sum(s.counted for s in items), sum(s.unspecified for s in items))

    return total(r.nominated for r in rows), total(r.accepted for r in rows)


def targets_for(settings: Settings, track: str) -> list[region.Target]:
    """The seeded targets for women's participation that apply to a track (all of them for 'any')."""
    targets = region.load(settings.seeds_dir).targets
    return [t for t in targets if track == "any" or track in t.tracks]


@lru_cache
def valid_months(seeds_dir: Path) -> int:
    path = seeds_dir / "training.toml"
    return int(read_toml(path).get("certification_valid_months", 12)) if path.exists() else 12


@dataclass
class ReadyRow:
    state: MemberState
    ready: int
    ready_women: int
    certified: int
    latest: date | None


def certified_view(session: Session, settings: Settings, *, today: date | None = None) -> list[ReadyRow]:
    """Per state, the people whose certifying assessment (SAAT) was passed within the validity period."""
    today = today or utcnow().date()
    since = today - timedelta(days=round(valid_months(settings.seeds_dir) * 30.44))
    passed = session.exec(
        select(Nomination)
        .join(TrainingOffer)
        .join(CourseType)
        .where(col(CourseType.certifies).is_(True), Nomination.outcome == "passed")
    ).all()
    by_state: dict[int, list[Nomination]] = defaultdict(list)
    for nomination in passed:
        by_state[nomination.state_id].append(nomination)
    states = session.exec(select(MemberState).order_by(col(MemberState.name_en))).all()
    rows = []
    for state in states:
        mine = by_state.get(id_of(state), [])
        ready = [n for n in mine if n.outcome_on and n.outcome_on >= since]
        rows.append(
            ReadyRow(
                state,
                len(ready),
                sum(n.gender == "woman" for n in ready),
                len(mine),
                max((n.outcome_on for n in mine if n.outcome_on), default=None),
            )
        )
    return rows


@dataclass(frozen=True)
class StateCourse:
    """A course that has not ended and concerns a state: it provides or hosts it, or has candidates on it."""

    offer: TrainingOffer
    provides: bool
    nominated: int
    accepted: int


def upcoming_for_state(session: Session, *, state_id: int, today: date | None = None) -> list[StateCourse]:
    """Published or closed courses not yet over that the state provides, hosts or nominated to (two queries)."""
    today = today or date.today()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for offer_id, status, number in session.exec(
        select(Nomination.offer_id, Nomination.status, func.count())
        .where(Nomination.state_id == state_id, col(Nomination.status).in_(ACTIVE))
        .group_by(col(Nomination.offer_id), col(Nomination.status))
    ).all():
        counts[offer_id][status] = int(number)
    offers = session.exec(
        select(TrainingOffer)
        .where(
            col(TrainingOffer.status).in_(("published", "closed")),
            col(TrainingOffer.ends_on) >= today,
            or_(
                col(TrainingOffer.provider_state_id) == state_id,
                col(TrainingOffer.venue_state_id) == state_id,
                col(TrainingOffer.id).in_(list(counts)),
            ),
        )
        .order_by(col(TrainingOffer.starts_on))
    ).all()
    rows = []
    for offer in offers:
        tally = counts.get(offer.id or 0, {})
        rows.append(
            StateCourse(offer, offer.provider_state_id == state_id, sum(tally.values(), 0), tally.get("accepted", 0))
        )
    return rows


@dataclass
class RecordRow:
    kind: CourseType
    trained: int
    women: int
    certified: int


def state_record(
    session: Session, state: MemberState
) -> tuple[list[RecordRow], list[tuple[Nomination, TrainingOffer]]]:
    """A state's trained and certified personnel per kind of course, and the people behind them."""
    rows = session.exec(
        select(Nomination, TrainingOffer)
        .join(TrainingOffer)
        .where(Nomination.state_id == state.id, col(Nomination.outcome).in_(("completed", "passed", "not_passed")))
        .order_by(col(Nomination.outcome_on).desc())
    ).all()
    kinds = {kind.id: kind for kind in session.exec(select(CourseType)).all()}
    table: dict[int, RecordRow] = {}
    for nomination, offer in rows:
        record = table.setdefault(offer.course_type_id, RecordRow(kinds[offer.course_type_id], 0, 0, 0))
        record.trained += 1
        record.women += nomination.gender == "woman"
        record.certified += nomination.outcome == "passed"
    return sorted(table.values(), key=lambda r: r.kind.key), [(n, o) for n, o in rows]


@dataclass
class YearRow:
    year: int
    offered: int
    nominated: int
    filled: int
    nominated_share: Share
    filled_share: Share


def _tallies(session: Session) -> dict[tuple[int | None, int], YearRow]:
    """Seats offered, nominated and filled per (state, year) and per (None, year) for the region, by the course's
    first day; a state's offered seats are those of the courses it provides. Two queries, each summed by the
    database per year, state, status and gender: the rows read grow with the years and states, not the courses
    or the nominations."""
    counted_statuses = ("published", "closed", "completed")
    year = extract("year", col(TrainingOffer.starts_on))
    rows: dict[tuple[int | None, int], YearRow] = {}

    def row(state_id: int | None, year: int) -> YearRow:
        return rows.setdefault((state_id, year), YearRow(year, 0, 0, 0, Share(0, 0, 0), Share(0, 0, 0)))

    offered = session.exec(
        select(year, col(TrainingOffer.provider_state_id), func.sum(col(TrainingOffer.seats)))
        .where(col(TrainingOffer.status).in_(counted_statuses))
        .group_by(year, col(TrainingOffer.provider_state_id))
    ).all()
    for offer_year, provider_id, seats in offered:
        row(None, int(offer_year)).offered += int(seats or 0)
        if provider_id is not None:
            row(provider_id, int(offer_year)).offered += int(seats or 0)
    # SQLModel's select() is typed for at most four columns; five make the same Select, its row type declared.
    counting: Select[int, int, str, str, int] = Select(
        year, col(Nomination.state_id), col(Nomination.status), col(Nomination.gender), func.count()
    )
    counted = session.exec(
        counting.join(TrainingOffer, col(TrainingOffer.id) == col(Nomination.offer_id))
        .where(col(TrainingOffer.status).in_(counted_statuses), col(Nomination.status) != "withdrawn")
        .group_by(year, col(Nomination.state_id), col(Nomination.status), col(Nomination.gender))
    ).all()
    for nomination_year, state_id, status, gender, number in counted:
        for target in (row(None, int(nomination_year)), row(state_id, int(nomination_year))):
            target.nominated += number
            _tally(target.nominated_share, gender, number)
            if status == "accepted":
                target.filled += number
                _tally(target.filled_share, gender, number)
    return rows


def _tally(share: Share, gender: str, number: int) -> None:
    share.women += number if gender == "woman" else 0
    share.counted += number if gender in ("woman", "man") else 0
    share.unspecified += number if gender == "unspecified" else 0


def report(session: Session) -> tuple[list[YearRow], dict[int, list[tuple[MemberState, YearRow]]]]:
    """The region's rows per year, and each year's rows per state."""
    rows = _tallies(session)
    states = {state.id: state for state in session.exec(select(MemberState)).all()}
    region_rows = sorted((r for (state_id, _year), r in rows.items() if state_id is None), key=lambda r: r.year)
    per_year: dict[int, list[tuple[MemberState, YearRow]]] = defaultdict(list)
    for (state_id, year), data in sorted(rows.items(), key=lambda item: (item[0][1], str(item[0][0]))):
        if state_id is not None and state_id in states:
            per_year[year].append((states[state_id], data))
    for entries in per_year.values():
        entries.sort(key=lambda entry: entry[0].name_en)
    return region_rows, dict(per_year)
