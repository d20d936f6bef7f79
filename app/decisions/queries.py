"""What pages read of decisions beyond the register and a decision's page."""

from __future__ import annotations

from sqlalchemy import extract
from sqlmodel import Session, col, func, select

from app.decisions.models import Decision, Reservation
from app.meetings.models import AgendaItem, Meeting


def meeting_decision(session: Session, meeting_id: int | None, decision_id: int) -> Decision | None:
    """The meeting's decision with this id, or None when the meeting has none such."""
    decision = session.get(Decision, decision_id)
    return decision if decision is not None and decision.meeting_id == meeting_id else None


def reservations(session: Session, decision_id: int | None) -> list[Reservation]:
    """The reservations states recorded on the decision."""
    return list(session.exec(select(Reservation).where(Reservation.decision_id == decision_id)).all())


def agenda_item(session: Session, decision: Decision) -> AgendaItem | None:
    """The agenda item the decision answers, when it names one."""
    return session.get(AgendaItem, decision.agenda_item_id) if decision.agenda_item_id else None


def years(session: Session) -> list[int]:
    """The years that have decisions, newest first (for the register's filter)."""
    found = session.exec(
        select(func.distinct(extract("year", col(Meeting.starts_at)))).join(
            Decision, col(Decision.meeting_id) == Meeting.id
        )
    ).all()
    return sorted((int(year) for year in found if year is not None), reverse=True)
