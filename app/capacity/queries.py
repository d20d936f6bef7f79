"""What pages read of needs and support."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from app.capacity.models import PRIORITIES, PRIORITY_RANK, STILL_NEEDED, Need, Support
from app.core import paging
from app.core.errors import NotFound
from app.core.i18n import N_
from app.members.models import MemberState


def need(session: Session, need_id: int | None) -> Need | None:
    """The need with this id, or None when there is none or no id."""
    return session.get(Need, need_id) if need_id else None


def get_need(session: Session, need_id: int) -> Need:
    """A need; every signed-in user may read needs, since partners look for needs to support."""
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(N_("No such need."))
    return need


def get_support(session: Session, support_id: int) -> Support:
    support = session.get(Support, support_id)
    if support is None:
        raise NotFound(N_("No such support record."))
    return support


def needs_of_state(session: Session, *, state_id: int, open_only: bool = True) -> list[Need]:
    """A state's needs, the most pressing first; only those still open or partly met unless told otherwise."""
    query = select(Need).where(Need.state_id == state_id)
    if open_only:
        query = query.where(col(Need.status).in_(STILL_NEEDED))
    return sorted(session.exec(query).all(), key=_urgency)


def pressing_needs(session: Session, *, state_id: int, size: int) -> paging.Head[Need]:
    """A state's `size` most pressing needs still open or partly met, and how many it has."""
    rank = case(PRIORITY_RANK, value=col(Need.priority), else_=len(PRIORITIES))
    found = session.exec(
        select(Need, func.count().over())
        .where(Need.state_id == state_id, col(Need.status).in_(STILL_NEEDED))
        .order_by(rank, col(Need.wanted_by).is_(None), col(Need.wanted_by), col(Need.id))
        .limit(size)
    ).all()
    return paging.Head([need for need, _total in found], found[0][1] if found else 0)


def current_support(session: Session, *, state_id: int, ended_since: date, size: int) -> paging.Head[Support]:
    """The first `size` of the support a state receives or is planned to receive that had not ended before
    `ended_since`, cancelled support included, soonest first; and how many there are."""
    found = session.exec(
        select(Support, func.count().over())
        .where(Support.recipient_state_id == state_id, col(Support.ends_on) >= ended_since)
        .order_by(col(Support.starts_on), col(Support.id))
        .limit(size)
    ).all()
    return paging.Head([support for support, _total in found], found[0][1] if found else 0)


def _urgency(need: Need) -> tuple[int, date, int]:
    return PRIORITY_RANK.get(need.priority, len(PRIORITIES)), need.wanted_by or date.max, need.id or 0


def open_needs(session: Session) -> list[tuple[Need, MemberState]]:
    """Needs still open or partly met, for the support form's list: one query."""
    rows = session.exec(
        select(Need, MemberState)
        .join(MemberState, col(MemberState.id) == Need.state_id)
        .where(col(Need.status).in_(STILL_NEEDED))
    ).all()
    return sorted(((need, state) for need, state in rows), key=lambda row: (row[1].name_en, _urgency(row[0])))
