"""Who may do what with a training offer and its nominations, and what every step of an offer reads and tells."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from app.auth.models import Role, User
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Forbidden, NotFound
from app.core.i18n import N_
from app.outbox import service as outbox
from app.training.models import (
    Nomination,
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


def require_manager(user: User, offer: TrainingOffer) -> None:
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


def lock_offer(session: Session, offer: TrainingOffer) -> TrainingOffer:
    """Locks the offer's row (PostgreSQL) so allocations and nominations on it happen one after the other."""
    return session.exec(
        select(TrainingOffer)
        .where(TrainingOffer.id == offer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def count_nominations(session: Session, offer_id: int, statuses: Iterable[str], *, state_id: int | None = None) -> int:
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


def focal_points(session: Session, state_ids: Iterable[int]) -> list[User]:
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
    return focal_points(session, {n.state_id for n in nominations(session, id_of(offer), ACTIVE)})


def tell_states(
    session: Session, settings: Settings, offer: TrainingOffer, state_ids: Iterable[int], message, **extra: object
) -> None:
    """Queues one email to each active focal point of the states; emails carry no candidate's details."""
    url = f"{settings.base_url}/training/{offer.id}"
    for person in focal_points(session, state_ids):
        subject, body = message(user=person, offer=offer, url=url, **extra)
        outbox.queue(session, recipient=person.email, subject=subject, body=body)
