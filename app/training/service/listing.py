"""The catalogue of offers each reader may see, with the share of women among candidates and participants."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import true
from sqlmodel import Session, col, func, or_, select

from app.auth.models import Role, User
from app.core import paging
from app.core.db import id_of
from app.members.models import MemberState
from app.training.models import (
    GENDERS,
    LANGUAGES,
    OFFER_TRACKS,
    CourseType,
    OfferTally,
    TrainingOffer,
)
from app.training.service.allocation import Share
from app.training.service.rules import ACTIVE, SEEN_BY_ALL, STAFF


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
    """Offers the user may see, soonest first, with their nomination counts (from the offers' tallies): three queries
    whatever the size. With `page`, that page's offers and one more (see app.paging)."""
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
        select(OfferTally.offer_id, OfferTally.status, OfferTally.gender, OfferTally.nominations).where(
            col(OfferTally.offer_id).in_(offer_ids)
        )
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
    among those accepted, summed by the database per status and gender from the offers' tallies. One query."""
    offer_ids = _catalogue_query(user, filters).with_only_columns(col(TrainingOffer.id))
    tally: dict[tuple[str, str], int] = {
        (status, gender): int(number)
        for status, gender, number in session.exec(
            select(OfferTally.status, OfferTally.gender, func.sum(OfferTally.nominations))
            .where(col(OfferTally.offer_id).in_(offer_ids))
            .group_by(col(OfferTally.status), col(OfferTally.gender))
        ).all()
    }
    return _share(tally, ACTIVE), _share(tally, ("accepted",))


def overall(rows: Sequence[OfferRow]) -> tuple[Share, Share]:
    """The women's share over the listed offers: among those nominated, and among those accepted."""

    def total(shares: Iterable[Share]) -> Share:
        items = list(shares)
        return Share(sum(s.women for s in items), sum(s.counted for s in items), sum(s.unspecified for s in items))

    return total(r.nominated for r in rows), total(r.accepted for r in rows)
