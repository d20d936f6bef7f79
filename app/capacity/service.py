"""Capacity-building needs a state records, the support partners give or plan against them, and the
deconfliction view: who supports what where, which supports overlap and which needs are left without support."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, TypedDict

from babel.numbers import list_currencies
from sqlalchemy import and_, case, tuple_
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import clock, paging, region
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden, Label, NotFound, Quantity
from app.core.exports import safe_cell
from app.core.forms import FieldErrors, parse_day, parse_day_or_none
from app.core.i18n import N_, in_language
from app.core.i18n import gettext as _
from app.members import queries as member_queries
from app.members.models import MemberState
from app.training import service as training
from app.training.models import TrainingOffer

from .models import (
    AREAS,
    NEED_STATUSES,
    NEED_TRACKS,
    PRIORITIES,
    PRIORITY_RANK,
    STILL_NEEDED,
    SUPPORT_KINDS,
    SUPPORT_STATUSES,
    Need,
    NeedEvent,
    Support,
    SupportEvent,
)

STAFF = (Role.admin.value, Role.coordinator.value)
PARTNERS = (Role.admin.value, Role.coordinator.value, Role.focal_point.value, Role.observer.value)
FIRST_SUPPORT_STATUSES = ("planned", "under_way", "completed")
NEXT_SUPPORT_STATUSES = {
    "planned": ("under_way", "completed", "cancelled"),
    "under_way": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}
CURRENCIES = frozenset(list_currencies()) - {"XXX", "XTS"}
MAX_AMOUNT = 2_000_000_000
MAX_TEXT = 5000
MAX_NOTE = 500


class NotYourState(Forbidden):
    """A focal point acting for a state other than their own."""


class NotTheProvider(Forbidden):
    """Someone other than the provider, a coordinator or an admin changing support."""


class NoOrganisation(Conflict):
    """An observer whose account names no organisation cannot record support in its name."""


class UnchangedStatus(Conflict):
    """A status change to the status the need or support already has, or one its life does not allow."""


# Who may do what


def records_for(user: User, state_id: int) -> bool:
    """Coordinators and admins record needs for any state; a focal point only for their own."""
    if user.role in STAFF:
        return True
    return user.role == Role.focal_point.value and user.member_state_id is not None and user.member_state_id == state_id


def may_record_need(user: User) -> bool:
    return user.role in STAFF or (user.role == Role.focal_point.value and user.member_state_id is not None)


def may_record_support(user: User) -> bool:
    return user.role in PARTNERS


def provides(user: User, support: Support) -> bool:
    """The provider side (the providing state's focal points, the providing organisation's observers),
    coordinators and admins."""
    if user.role in STAFF:
        return True
    if support.provider_state_id is not None:
        return user.role == Role.focal_point.value and user.member_state_id == support.provider_state_id
    organisation = user.organisation.strip().casefold()
    return (
        user.role == Role.observer.value
        and bool(organisation)
        and organisation == support.provider_organisation.strip().casefold()
    )


def _require_state(user: User, state_id: int) -> None:
    if not records_for(user, state_id):
        raise NotYourState(N_("You can act only for your own state."))


def by_id(found: Iterable[MemberState]) -> dict[int, MemberState]:
    return {state.id: state for state in found if state.id is not None}


def provider_name(support: Providing, states_by_id: dict[int, MemberState], language: str) -> str:
    if support.provider_state_id is not None:
        state = states_by_id.get(support.provider_state_id)
        return state.name(language) if state else ""
    return support.provider_organisation


# Needs


@dataclass
class NeedForm:
    """What a focal point, coordinator or admin enters for a need."""

    area: str
    track: str
    description: str
    priority: str
    state: str = ""
    wanted_by: str = ""


def _need_state(session: Session, user: User, code: str) -> MemberState:
    """A focal point records for their own state (another state's code is refused); coordinators and admins
    choose."""
    if user.role == Role.focal_point.value:
        own = session.get(MemberState, user.member_state_id) if user.member_state_id is not None else None
        if own is None or (code.strip() and code.strip().upper() != own.code):
            raise NotYourState(N_("You can act only for your own state."))
        return own
    state = member_queries.state_by_code(session, code)
    if state is None:
        raise DomainError(N_("Choose the state from the list."))
    return state


def _text(value: str, message: str, *, required: bool) -> str:
    text = value.strip()
    if (required and not text) or len(text) > MAX_TEXT:
        raise DomainError(message, high=MAX_TEXT)
    return text


def _note(value: str) -> str:
    note = value.strip()
    if len(note) > MAX_NOTE:
        raise DomainError(N_("The note may have at most %(high)s characters."), high=MAX_NOTE)
    return note


def record_need(session: Session, *, user: User, form: NeedForm) -> Need:
    """A need of the user's state (any state for coordinators and admins), open, with its first history entry."""
    if not may_record_need(user):
        raise Forbidden(N_("Your role does not let you record needs."))
    errors = FieldErrors()
    with errors.field():
        state = _need_state(session, user, form.state)
    if form.area not in AREAS:
        errors.add(DomainError(N_("Choose an area from the list.")))
    if form.track not in NEED_TRACKS:
        errors.add(DomainError(N_("Choose a track from the list.")))
    if form.priority not in PRIORITIES:
        errors.add(DomainError(N_("Choose a priority from the list.")))
    with errors.field():
        description = _text(form.description, N_("Describe the need in at most %(high)s characters."), required=True)
    with errors.field():
        wanted_by = parse_day_or_none(
            form.wanted_by, N_("Give the date the need is wanted by as a date, or leave it empty.")
        )
    errors.raise_any()
    need = Need(
        state_id=id_of(state),
        area=form.area,
        track=form.track,
        description=description,
        priority=form.priority,
        wanted_by=wanted_by,
        status="open",
        created_at=clock.now(),
        created_by=user.id,
    )
    session.add(need)
    session.flush()
    session.add(NeedEvent(need_id=id_of(need), status="open", at=clock.now(), by=user.id))
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="capacity_need",
        entity_id=need.id,
        after={"state": state.code, "area": need.area, "track": need.track, "priority": need.priority},
    )
    session.commit()
    return need


def set_need_status(session: Session, *, user: User, need: Need, status: str, note: str = "") -> NeedEvent:
    """Moves a need to another status; the change is appended to its history with who, when and why."""
    _require_state(user, need.state_id)
    if status not in NEED_STATUSES:
        raise DomainError(N_("Choose a status from the list."))
    if status == need.status:
        raise UnchangedStatus(N_("The need is already “%(status)s”."), status=Label(NEED_STATUSES[status]))
    text = _note(note)
    before = need.status
    need.status = status
    session.add(need)
    event = NeedEvent(need_id=id_of(need), status=status, note=text, at=clock.now(), by=user.id)
    session.add(event)
    audit.record(
        session,
        actor_id=user.id,
        action=f"status:{status}",
        entity="capacity_need",
        entity_id=need.id,
        before={"status": before},
        after={"status": status},
    )
    session.commit()
    return event


def need_history(session: Session, need: Need) -> list[tuple[NeedEvent, str | None]]:
    """The need's history, oldest first, with the name of who made each change."""
    rows = session.exec(
        select(NeedEvent, User.display_name)
        .outerjoin(User, col(User.id) == NeedEvent.by)
        .where(NeedEvent.need_id == need.id)
        .order_by(col(NeedEvent.at), col(NeedEvent.id))
    ).all()
    return [(event, name) for event, name in rows]


def support_for_need(session: Session, need: Need) -> list[Support]:
    return list(
        session.exec(
            select(Support).where(Support.need_id == need.id).order_by(col(Support.starts_on), col(Support.id))
        ).all()
    )


@dataclass
class NeedFilters:
    state: str = ""
    area: str = ""
    track: str = ""
    status: str = ""
    subregion: str = ""


@dataclass
class NeedRow:
    need: Need
    state: MemberState
    supports: int


def list_needs(session: Session, *, filters: NeedFilters, page: int | None = None) -> list[NeedRow]:
    """Needs matching the filters, by state then the most pressing first, with how many non-cancelled supports
    answer each: two queries whatever the number of needs. The order is the database's, so that with `page` only
    that page's rows and one more are read (see app.core.paging)."""
    query = select(Need, MemberState).join(MemberState, col(MemberState.id) == Need.state_id)
    if filters.state:
        query = query.where(MemberState.code == filters.state.strip().upper())
    if filters.subregion:
        query = query.where(MemberState.subregion == filters.subregion)
    if filters.area:
        query = query.where(Need.area == filters.area)
    if filters.track:
        query = query.where(Need.track == filters.track)
    if filters.status:
        query = query.where(Need.status == filters.status)
    rank = case(PRIORITY_RANK, value=col(Need.priority), else_=len(PRIORITIES))
    query = query.order_by(
        col(MemberState.name_en), rank, col(Need.wanted_by).is_(None), col(Need.wanted_by), col(Need.id)
    )
    if page is not None:
        query = query.limit(paging.PAGE_SIZE + 1).offset(paging.offset(page))
    found = session.exec(query).all()
    counts: dict[int | None, int] = {}  # keyed by Support.need_id, a nullable column
    if found:
        counts = {
            need_id: number
            for need_id, number in session.exec(
                select(Support.need_id, func.count())
                .where(col(Support.need_id).in_([n.id for n, _s in found]), Support.status != "cancelled")
                .group_by(col(Support.need_id))
            ).all()
        }
    return [NeedRow(need, state, counts.get(need.id, 0)) for need, state in found]


# Support


@dataclass
class SupportForm:
    """What a partner enters for support they give or plan."""

    recipient_state: str
    starts_on: str
    ends_on: str
    kind: str
    need: str = ""
    area: str = ""
    track: str = ""
    amount: str = ""
    currency: str = ""
    status: str = "planned"
    description: str = ""
    training_offer: str = ""
    provider_state: str = ""
    provider_organisation: str = ""


def _support_provider(session: Session, user: User, form: SupportForm) -> tuple[int | None, str]:
    """A focal point's own state; an observer's own organisation; coordinators and admins choose a state or name an
    organisation."""
    if user.role == Role.focal_point.value:
        if user.member_state_id is None:
            raise NotYourState(N_("You can act only for your own state."))
        return user.member_state_id, ""
    if user.role == Role.observer.value:
        organisation = user.organisation.strip()
        if not organisation:
            raise NoOrganisation(
                N_("Your account names no organisation: ask an admin to add it before recording support.")
            )
        return None, organisation[:120]
    if form.provider_state.strip():
        state = member_queries.state_by_code(session, form.provider_state)
        if state is None:
            raise DomainError(N_("Choose the state giving the support or name the organisation."))
        return state.id, ""
    organisation = form.provider_organisation.strip()
    if not organisation or len(organisation) > 120:
        raise DomainError(N_("Choose the state giving the support or name the organisation."))
    return None, organisation


def _amount(value: str) -> int:
    try:
        number = int(value.strip().replace(" ", "").replace(",", "").replace("\u202f", ""))
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_AMOUNT:
        raise DomainError(N_("Funding needs a whole amount from 1 to %(high)s."), high=Quantity(MAX_AMOUNT))
    return number


def _offer(session: Session, user: User, value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return training.get_offer(session, int(value.strip()), user=user).id
    except (ValueError, NotFound):
        raise DomainError(N_("No such training offer.")) from None


def _chosen_need(session: Session, value: str) -> Need | None:
    """The need the support answers, or None when the form names none."""
    if not value.strip():
        return None
    need = session.get(Need, int(value)) if value.strip().isdigit() else None
    if need is None:
        raise DomainError(N_("No such need."))
    return need


def _recipient(session: Session, code: str, need: Need | None) -> MemberState:
    """The receiving state chosen, or else the need's state; a need must be one of that state's, not withdrawn."""
    recipient = member_queries.state_by_code(session, code)
    if recipient is None and need is not None and not code.strip():
        recipient = session.get(MemberState, need.state_id)
    if recipient is None:
        raise DomainError(N_("Choose the receiving state from the list."))
    if need is not None:
        if need.state_id != recipient.id:
            raise DomainError(N_("The need chosen is not a need of the receiving state."))
        if need.status == "withdrawn":
            raise Conflict(N_("This need has been withdrawn."))
    return recipient


def _currency(value: str) -> str:
    currency = value.strip().upper()
    if currency not in CURRENCIES:
        raise DomainError(N_("Give the currency as its three-letter ISO 4217 code, such as AUD, NZD, USD, EUR or JPY."))
    return currency


class SupportFields(TypedDict):
    """A support record's fields as the form gives them, once checked."""

    provider_state_id: int | None
    provider_organisation: str
    recipient_state_id: int
    need_id: int | None
    area: str
    track: str
    kind: str
    amount: int | None
    currency: str
    starts_on: date
    ends_on: date
    status: str
    description: str
    training_offer_id: int | None


def _checked_support(session: Session, user: User, form: SupportForm) -> SupportFields:
    """The support's fields from the form, or one refusal naming every field that is wrong. The receiving state, area
    and track are checked once the need is known: a need brings its own state, area and track."""
    errors = FieldErrors()
    with errors.field():
        provider_state_id, organisation = _support_provider(session, user, form)
    with errors.field() as choosing_need:
        need = _chosen_need(session, form.need)
    if choosing_need.ok:
        with errors.field():
            recipient = _recipient(session, form.recipient_state, need)
        if need is None and form.area not in AREAS:
            errors.add(DomainError(N_("Choose an area from the list.")))
        if need is None and form.track not in NEED_TRACKS:
            errors.add(DomainError(N_("Choose a track from the list.")))
    with errors.field() as starting:
        starts = parse_day(form.starts_on, N_("Give the first day of the support as a date."))
    with errors.field() as ending:
        ends = parse_day(form.ends_on, N_("Give the last day of the support as a date."))
    if starting.ok and ending.ok and ends < starts:
        errors.add(DomainError(N_("The support period ends before it starts.")))
    if form.kind not in SUPPORT_KINDS:
        errors.add(DomainError(N_("Choose a kind of support from the list.")))
    amount, currency = None, ""
    if form.kind == "funding":
        with errors.field():
            amount = _amount(form.amount)
        with errors.field():
            currency = _currency(form.currency)
    if form.status not in FIRST_SUPPORT_STATUSES:
        errors.add(DomainError(N_("Choose a status from the list.")))
    with errors.field():
        description = _text(
            form.description, N_("The description may have at most %(high)s characters."), required=False
        )
    with errors.field():
        offer_id = _offer(session, user, form.training_offer)
    errors.raise_any()
    return {
        "provider_state_id": provider_state_id,
        "provider_organisation": organisation,
        "recipient_state_id": id_of(recipient),
        "need_id": need.id if need else None,
        "area": need.area if need else form.area,
        "track": need.track if need else form.track,
        "kind": form.kind,
        "amount": amount,
        "currency": currency,
        "starts_on": starts,
        "ends_on": ends,
        "status": form.status,
        "description": description,
        "training_offer_id": offer_id,
    }


def record_support(session: Session, *, user: User, form: SupportForm) -> Support:
    """Support a partner gives or plans, with its first history entry."""
    if not may_record_support(user):
        raise Forbidden(N_("Your role does not let you record support."))
    support = Support(
        **_checked_support(session, user, form),
        created_at=clock.now(),
        created_by=user.id,
    )
    session.add(support)
    session.flush()
    session.add(SupportEvent(support_id=id_of(support), status=support.status, at=clock.now(), by=user.id))
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="capacity_support",
        entity_id=support.id,
        after={
            "recipient_state_id": support.recipient_state_id,
            "need_id": support.need_id,
            "area": support.area,
            "kind": support.kind,
            "status": support.status,
        },
    )
    session.commit()
    return support


def set_support_status(session: Session, *, user: User, support: Support, status: str, note: str = "") -> SupportEvent:
    """Moves support along its life (planned → under way → completed, or cancelled); appended to its history."""
    if not provides(user, support):
        raise NotTheProvider(N_("Only the provider, coordinators and admins may change this support."))
    if status not in SUPPORT_STATUSES:
        raise DomainError(N_("Choose a status from the list."))
    if status not in NEXT_SUPPORT_STATUSES.get(support.status, ()):
        raise UnchangedStatus(
            N_("This support cannot go from “%(now)s” to “%(next)s”."),
            now=Label(SUPPORT_STATUSES[support.status]),
            next=Label(SUPPORT_STATUSES[status]),
        )
    text = _note(note)
    before = support.status
    support.status = status
    session.add(support)
    event = SupportEvent(support_id=id_of(support), status=status, note=text, at=clock.now(), by=user.id)
    session.add(event)
    audit.record(
        session,
        actor_id=user.id,
        action=f"status:{status}",
        entity="capacity_support",
        entity_id=support.id,
        before={"status": before},
        after={"status": status},
    )
    session.commit()
    return event


def support_history(session: Session, support: Support) -> list[tuple[SupportEvent, str | None]]:
    rows = session.exec(
        select(SupportEvent, User.display_name)
        .outerjoin(User, col(User.id) == SupportEvent.by)
        .where(SupportEvent.support_id == support.id)
        .order_by(col(SupportEvent.at), col(SupportEvent.id))
    ).all()
    return [(event, name) for event, name in rows]


def visible_offer(session: Session, support: Support, user: User) -> TrainingOffer | None:
    """The training offer the support is linked to, if the user may see it."""
    if support.training_offer_id is None:
        return None
    try:
        return training.get_offer(session, support.training_offer_id, user=user)
    except NotFound:
        return None


def next_support_statuses(support: Support) -> tuple[str, ...]:
    return NEXT_SUPPORT_STATUSES.get(support.status, ())


def today_for(user: User) -> date:
    return clock.today(user.time_zone)


# Deconfliction


class Providing(Protocol):
    """A support, or supports grouped, as far as who provides them."""

    @property
    def provider_state_id(self) -> int | None: ...

    @property
    def provider_organisation(self) -> str: ...


def provider_key(support: Providing) -> tuple[str, str]:
    """Who provides, as the view tells providers apart: a state, or an organisation whatever its spelling's case."""
    if support.provider_state_id is not None:
        return "state", str(support.provider_state_id)
    return "organisation", support.provider_organisation.strip().casefold()


class Placed(NamedTuple):
    """A support as the overlaps are found from: its columns, not a loaded entity."""

    id: int
    recipient_state_id: int
    area: str
    provider_state_id: int | None
    provider_organisation: str
    starts_on: date
    ends_on: date


class Given(NamedTuple):
    """The supports, not cancelled, one provider gives one state in one area, as the database groups them."""

    recipient_state_id: int
    area: str
    provider_state_id: int | None
    provider_organisation: str
    records: int
    latest_id: int


class Wanted(NamedTuple):
    """A need past its date, with what a gap's line shows of it."""

    id: int
    state_id: int
    area: str
    wanted_by: date
    description: str


@dataclass
class Provided:
    """One provider in one cell: its name, how many support records it has there, and the latest of them."""

    name: str
    records: int
    latest_id: int


@dataclass
class Cell:
    """One state in one area: its open needs and who supports it there."""

    open_needs: int = 0
    highest: str = ""
    given: list[Provided] = field(default_factory=list)
    overlap: bool = False
    gap: bool = False

    @property
    def providers(self) -> list[str]:
        return sorted(provided.name for provided in self.given)

    @property
    def empty(self) -> bool:
        return not self.open_needs and not self.given


@dataclass
class StateRow:
    state: MemberState
    cells: dict[str, Cell]


@dataclass
class Overlap:
    """Two different providers supporting the same state in the same area at the same time."""

    state: MemberState
    area: str
    first: Placed
    second: Placed
    first_provider: str
    second_provider: str
    starts_on: date
    ends_on: date


@dataclass
class Gap:
    """A need still open or partly met after its wanted-by date, with no support in its state and area (support for
    a need is always in the need's state, area and track)."""

    need: Wanted
    state: MemberState


@dataclass
class Deconfliction:
    rows: list[StateRow]
    overlaps: list[Overlap]
    gaps: list[Gap]  # the page of gaps asked for, and the first of the next page if there is one (see app.paging)
    providers: list[tuple[str, str]]  # (filter value, name) of every provider, for the filter's list


def _matches_provider(support: Providing, provider: str, states_by_id: dict[int, MemberState]) -> bool:
    wanted = provider.strip()
    if support.provider_state_id is not None:
        state = states_by_id.get(support.provider_state_id)
        return state is not None and state.code == wanted.upper()
    return support.provider_organisation.strip().casefold() == wanted.casefold()


def overlapping_pairs(placed: list[Placed]) -> Iterator[tuple[Placed, Placed]]:
    """Pairs of supports of one state and area from different providers whose periods share a day: sorted by first
    day, each support is compared only with those that start before it ends."""
    ordered = sorted(placed, key=lambda s: (s.starts_on, s.id))
    keys = [provider_key(support) for support in ordered]
    for index, first in enumerate(ordered):
        for later, second in enumerate(ordered[index + 1 :], start=index + 1):
            if second.starts_on > first.ends_on:
                break
            if keys[index] != keys[later]:
                yield first, second


def _counted_support(track: str) -> list[Any]:
    """The conditions on the supports the view counts: not cancelled, of the track when one is chosen."""
    conditions: list[Any] = [col(Support.status) != "cancelled"]
    if track:
        conditions.append(col(Support.track) == track)
    return conditions


def _read_given(session: Session, track: str) -> list[Given]:
    """The supports grouped by state, area and provider, counted by the database."""
    # SQLModel's select() is typed for at most four columns; six make the same Select, its row type declared.
    query: Select[int, str, int | None, str, int, int] = Select(
        col(Support.recipient_state_id),
        col(Support.area),
        col(Support.provider_state_id),
        col(Support.provider_organisation),
        func.count(),
        func.max(col(Support.id)),
    )
    grouped = query.where(*_counted_support(track)).group_by(
        col(Support.recipient_state_id),
        col(Support.area),
        col(Support.provider_state_id),
        col(Support.provider_organisation),
    )
    return [Given(*row) for row in session.exec(grouped).all()]


def _read_supports(session: Session, track: str, places: set[tuple[int, str]]) -> list[Placed]:
    """The supports in the given (state, area) places, one by one: only where two providers meet can they overlap."""
    if not places:
        return []
    # SQLModel's select() is typed for at most four columns; seven make the same Select, its row type declared.
    query: Select[int, int, str, int | None, str, date, date] = Select(
        col(Support.id),
        col(Support.recipient_state_id),
        col(Support.area),
        col(Support.provider_state_id),
        col(Support.provider_organisation),
        col(Support.starts_on),
        col(Support.ends_on),
    )
    query = query.where(
        *_counted_support(track), tuple_(col(Support.recipient_state_id), col(Support.area)).in_(sorted(places))
    )
    return [Placed(*row) for row in session.exec(query.order_by(col(Support.starts_on), col(Support.id))).all()]


def _still_needed(track: str) -> list[Any]:
    conditions: list[Any] = [col(Need.status).in_(STILL_NEEDED)]
    if track:
        conditions.append(col(Need.track) == track)
    return conditions


def _unsupported_past_due(track: str, today: date) -> Any:
    """A need past its date with no support counted in its state and area."""
    supported = (
        select(col(Support.id))
        .where(
            col(Support.recipient_state_id) == col(Need.state_id),
            col(Support.area) == col(Need.area),
            *_counted_support(track),
        )
        .exists()
    )
    return and_(col(Need.wanted_by).is_not(None), col(Need.wanted_by) < today, ~supported)


def _need_tallies(session: Session, track: str, today: date) -> list[tuple[int, str, str, int, int]]:
    """(state, area, priority, open needs, of which gaps) summed by the database."""
    gaps = func.sum(case((_unsupported_past_due(track, today), 1), else_=0))
    query: Select[int, str, str, int, int] = Select(
        col(Need.state_id), col(Need.area), col(Need.priority), func.count(), gaps
    )
    grouped = query.where(*_still_needed(track)).group_by(col(Need.state_id), col(Need.area), col(Need.priority))
    return [
        (state_id, area, priority, number, int(gap or 0))
        for state_id, area, priority, number, gap in session.exec(grouped).all()
    ]


@lru_cache(maxsize=64)
def _in_order(state_ids: tuple[int, ...]) -> Any:
    """The position of a need's state among `state_ids`, for SQL to sort by (built once per list of states)."""
    return case({state_id: position for position, state_id in enumerate(state_ids)}, value=col(Need.state_id))


def _gap_page(
    session: Session, track: str, today: date, states: list[MemberState], page: int, *, narrowed: bool
) -> list[Gap]:
    """The page `page` of the gaps of `states` (and one more), in the states' order, then by date. `narrowed` when
    some states with gaps are left out (otherwise every gap's state is among them)."""
    if not states:
        return []
    placed = {id_of(state): state for state in states}
    query: Select[int, int, str, date, str] = Select(
        col(Need.id), col(Need.state_id), col(Need.area), col(Need.wanted_by), col(Need.description)
    )
    query = query.where(*_still_needed(track), _unsupported_past_due(track, today))
    if narrowed:
        query = query.where(col(Need.state_id).in_(list(placed)))
    query = (
        query.order_by(_in_order(tuple(placed)), col(Need.wanted_by), col(Need.id))
        .limit(paging.PAGE_SIZE + 1)
        .offset(paging.offset(page))
    )
    return [Gap(need, placed[need.state_id]) for need in (Wanted(*row) for row in session.exec(query).all())]


def deconfliction(
    session: Session,
    settings: Settings,
    *,
    track: str = "",
    subregion: str = "",
    provider: str = "",
    today: date | None = None,
    language: str = "en",
    gaps_page: int | None = 1,
) -> Deconfliction:
    """States × areas: open needs (count, highest priority), who supports what, and the overlaps and gaps.

    The database counts the needs and the support per state, area and provider, and finds the gaps; only the
    supports of places where two providers meet are read one by one, to find the overlaps. A track narrows the
    needs and support considered; a subregion the states shown; a provider the states and overlaps to those it is
    part of. `gaps_page` is the page of gaps listed (None: none, as the CSV lists none).
    """
    today = today or clock.today("UTC")
    track = track if track in NEED_TRACKS else ""
    subregion = subregion if subregion in region.load(settings.seeds_dir).subregions else ""
    states_by_id = by_id(session.exec(select(MemberState)).all())
    given = _read_given(session, track)
    cells = cells_of(_need_tallies(session, track, today), given, states_by_id, language)
    shared = {place for place, cell in _places(cells) if len(cell.given) > 1}
    supports = _read_supports(session, track, shared)
    overlaps = overlaps_of(supports, {s.id: provider_name(s, states_by_id, language) for s in supports}, states_by_id)
    for overlap in overlaps:
        cells[id_of(overlap.state)][overlap.area].overlap = True
    shown = {
        state_id
        for state_id in cells
        if state_id in states_by_id and (not subregion or states_by_id[state_id].subregion == subregion)
    }
    if provider.strip():
        shown &= {g.recipient_state_id for g in given if _matches_provider(g, provider, states_by_id)}
        overlaps = [
            o
            for o in overlaps
            if _matches_provider(o.first, provider, states_by_id) or _matches_provider(o.second, provider, states_by_id)
        ]
    rows = sorted(
        (StateRow(states_by_id[state_id], cells[state_id]) for state_id in shown),
        key=lambda row: row.state.name(language),
    )
    return Deconfliction(
        rows=rows,
        overlaps=sorted(
            (o for o in overlaps if o.state.id in shown),
            key=lambda o: (o.state.name(language), o.area, o.starts_on, o.first.id, o.second.id),
        ),
        gaps=[]
        if gaps_page is None
        else _gap_page(
            session, track, today, [row.state for row in rows], gaps_page, narrowed=bool(subregion or provider.strip())
        ),
        providers=_provider_choices(given, states_by_id, language),
    )


def _places(cells: dict[int, dict[str, Cell]]) -> Iterator[tuple[tuple[int, str], Cell]]:
    for state_id, by_area in cells.items():
        for area, cell in by_area.items():
            yield (state_id, area), cell


def cells_of(
    tallies: Iterable[tuple[int, str, str, int, int]],
    given: Iterable[Given],
    states_by_id: dict[int, MemberState],
    language: str,
) -> dict[int, dict[str, Cell]]:
    """Each state's cells by area: its open needs (how many, the highest priority, whether any is a gap) and its
    providers, each once whatever the case its organisation's name was written in, with its records there and the
    latest one (whose spelling it shows)."""
    cells: dict[int, dict[str, Cell]] = defaultdict(lambda: {area: Cell() for area in AREAS})
    for state_id, area, priority, number, gaps in tallies:
        cell = cells[state_id][area]
        cell.open_needs += number
        cell.gap = cell.gap or gaps > 0
        if not cell.highest or PRIORITY_RANK[priority] < PRIORITY_RANK[cell.highest]:
            cell.highest = priority
    providers: dict[tuple[int, str, tuple[str, str]], Provided] = {}
    for group in sorted(given, key=lambda g: g.latest_id):
        place = (group.recipient_state_id, group.area, provider_key(group))
        provided = providers.get(place)
        if provided is None:
            provided = providers[place] = Provided("", 0, 0)
            cells[group.recipient_state_id][group.area].given.append(provided)
        provided.records += group.records
        provided.name, provided.latest_id = provider_name(group, states_by_id, language), group.latest_id
    for by_area in cells.values():
        for cell in by_area.values():
            cell.given.sort(key=lambda provided: provided.name.casefold())
    return cells


def overlaps_of(
    supports: Iterable[Placed], names: dict[int, str], states_by_id: dict[int, MemberState]
) -> list[Overlap]:
    """Every two supports from different providers to one state in one area whose periods share a day, with the
    first and last day they share."""
    by_place: dict[tuple[int, str], list[Placed]] = defaultdict(list)
    for support in supports:
        by_place[(support.recipient_state_id, support.area)].append(support)
    return [
        Overlap(
            states_by_id[state_id],
            area,
            first,
            second,
            names[first.id],
            names[second.id],
            max(first.starts_on, second.starts_on),
            min(first.ends_on, second.ends_on),
        )
        for (state_id, area), placed in by_place.items()
        for first, second in overlapping_pairs(placed)
    ]


def _provider_choices(
    given: Iterable[Given], states_by_id: dict[int, MemberState], language: str
) -> list[tuple[str, str]]:
    """(filter value, name) of every provider, by name: a state's code, or an organisation's own name."""
    return sorted(
        {
            (
                states_by_id[g.provider_state_id].code
                if g.provider_state_id in states_by_id
                else g.provider_organisation,
                provider_name(g, states_by_id, language),
            )
            for g in given
        },
        key=lambda item: item[1].casefold(),
    )


def deconfliction_csv(view: Deconfliction, *, language: str, subregion_names: dict[str, region.Localised]) -> str:
    """The view's cells that hold something, one line each; cells a spreadsheet would run as formulas are quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with in_language(language):
        writer.writerow(
            [
                _("State"),
                _("Subregion"),
                _("Area"),
                _("Open needs"),
                _("Highest priority"),
                _("Providers"),
                _("Overlap"),
                _("Gap"),
            ]
        )
        for row in view.rows:
            place = subregion_names.get(row.state.subregion)
            for area, cell in row.cells.items():
                if cell.empty:
                    continue
                writer.writerow(
                    [
                        safe_cell(value)
                        for value in (
                            row.state.name(language),
                            place(language) if place else row.state.subregion,
                            _(AREAS[area]),
                            cell.open_needs,
                            _(PRIORITIES[cell.highest]) if cell.highest else "",
                            "; ".join(cell.providers),
                            _("Yes") if cell.overlap else "",
                            _("Yes") if cell.gap else "",
                        )
                    ]
                )
    return buffer.getvalue()
