"""Nominations in each state's order of preference, withdrawals, and the allocation of seats."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import clock
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.members.models import MemberState
from app.outbox import service as outbox
from app.training import mail
from app.training.models import (
    GENDERS,
    LANGUAGES,
    Nomination,
    NominationEvent,
    TrainingOffer,
)
from app.training.service.rules import (
    ACTIVE,
    DECISIONS,
    STAFF,
    count_nominations,
    focal_points,
    lock_offer,
    may_withdraw,
    nominations,
    require_manager,
    tell_states,
)

TOO_LONG = N_("Rank, service or notes are too long.")  # one message for the three optional fields


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
    return clock.today(offer.zone) > offer.deadline_on


def _check_candidate(form: CandidateForm) -> str:
    """The candidate's full name trimmed, or one refusal naming every field that is wrong, in the form's order (the
    length of rank, service and notes is said once, where the first of them stands)."""
    errors = FieldErrors()
    name = form.full_name.strip()
    if not name or len(name) > 160:
        errors.add(DomainError(N_("Give the candidate's full name (at most 160 characters).")))
    long_rank_or_service = len(form.rank.strip()) > 80 or len(form.service.strip()) > 120
    if long_rank_or_service:
        errors.add(DomainError(TOO_LONG))
    if form.gender not in GENDERS:
        errors.add(DomainError(N_("Choose the candidate's gender from the list.")))
    if not long_rank_or_service and len(form.notes.strip()) > 1000:
        errors.add(DomainError(TOO_LONG))
    errors.raise_any()
    return name


def nominate(session: Session, *, user: User, offer: TrainingOffer, form: CandidateForm) -> Nomination:
    """A focal point puts a candidate of their state forward, last in the state's order of preference."""
    if user.role != Role.focal_point.value or user.member_state_id is None:
        raise Forbidden(N_("Only a focal point nominates, for their own state."))
    offer = lock_offer(session, offer)
    if offer.status != "published":
        raise Conflict(N_("This offer does not take nominations."))
    if deadline_passed(offer):
        raise Conflict(N_("The nomination deadline has passed."))
    name = _check_candidate(form)
    languages = [code for code in LANGUAGES if code in form.languages]
    taken = count_nominations(session, id_of(offer), ACTIVE, state_id=user.member_state_id)
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
        nominated_at=clock.now(),
        nominated_by=user.id,
    )
    session.add(nomination)
    session.flush()
    record_nomination_change(
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
        record_nomination_change(
            session, changed, "moved", user, before={"preference": before}, after={"preference": changed.preference}
        )
    session.commit()


def record_nomination_change(
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
            nomination_id=id_of(nomination), status=event, outcome=outcome, note=note[:500], at=clock.now(), by=user.id
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


def set_nomination_status(
    session: Session, nomination: Nomination, status: str, user: User, *, event: str = "", note: str = ""
) -> None:
    """Gives the nomination a new status and records the change as `event` (the status itself by default)."""
    before = nomination.status
    nomination.status = status
    session.add(nomination)
    record_nomination_change(
        session, nomination, event or status, user, before={"status": before}, after={"status": status}, note=note
    )


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
    offer = lock_offer(session, offer)
    if offer.status in ("completed", "cancelled") or nomination.status not in ACTIVE:
        raise Conflict(N_("This nomination can no longer be withdrawn."))
    held_seat = nomination.status == "accepted"
    set_nomination_status(session, nomination, "withdrawn", user)
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
        people += focal_points(session, [nomination.state_id])
    state = session.get_one(MemberState, nomination.state_id)
    url = f"{settings.base_url}/training/{offer.id}"
    for person in {p.id: p for p in people if p.id != user.id}.values():
        subject, body = mail.withdrawn_message(user=person, offer=offer, url=url, state=state, by=user.display_name)
        outbox.queue(session, recipient=person.email, subject=subject, body=body)


def _provider_people(session: Session, offer: TrainingOffer) -> list[User]:
    """Who answers for the provider: the providing state's focal points, or whoever entered a partner
    organisation's offer."""
    if offer.provider_state_id is not None:
        return focal_points(session, [offer.provider_state_id])
    creator = session.get(User, offer.created_by) if offer.created_by is not None else None
    return [creator] if creator is not None and creator.is_active else []


def _promote(session: Session, settings: Settings, offer: TrainingOffer, user: User) -> Nomination | None:
    """Gives a free seat to the longest-waiting candidate whose state is under its quota, and tells the state; the
    change is recorded as made by `user`, whose withdrawal freed the seat."""
    session.flush()
    offer_id = id_of(offer)
    if count_nominations(session, offer_id, ("accepted",)) >= offer.seats:
        return None
    waiting = session.exec(
        select(Nomination)
        .where(Nomination.offer_id == offer_id, Nomination.status == "waitlisted")
        .order_by(col(Nomination.waitlisted_at), col(Nomination.id))
    ).all()
    for candidate in waiting:
        if count_nominations(session, offer_id, ("accepted",), state_id=candidate.state_id) < offer.seats_per_state:
            set_nomination_status(session, candidate, "accepted", user, event="promoted")
            tell_states(session, settings, offer, {candidate.state_id}, mail.promoted_message)
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
    require_manager(user, offer)
    offer = lock_offer(session, offer)
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
        nomination.waitlisted_at = clock.now() if status == "waitlisted" else None
        set_nomination_status(session, nomination, status, user, note=nomination.reason)
        changed[nomination.state_id][status] += 1
    for state_id, counts in changed.items():
        tell_states(session, settings, offer, {state_id}, mail.decisions_message, counts=dict(counts))
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
