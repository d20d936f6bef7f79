"""What a meeting page shows of decisions, and what the form recording one offers for a meeting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.core.config import get_settings
from app.core.db import id_of
from app.core.i18n import current_language
from app.decisions import service
from app.decisions.models import RELATIONS
from app.governance.models import Body, WorkingGroup
from app.meetings import service as meetings
from app.meetings.models import AgendaItem, Meeting
from app.members import queries as member_queries
from app.members.models import MemberState


def choices(session: Session, meeting: Meeting) -> dict[str, Any]:
    """What the recording form offers for this meeting."""
    return offered(
        session,
        meeting,
        agenda=meetings.agenda(session, meeting),
        states=member_queries.member_states(session),
        attendance=meetings.attendance(session, meeting),
    )


def offered(
    session: Session,
    meeting: Meeting,
    *,
    agenda: Sequence[AgendaItem],
    states: Sequence[MemberState],
    attendance: dict[int, bool],
) -> dict[str, Any]:
    """What the recording form offers for this meeting, given its agenda, every state by English name and its
    attendance, already read."""
    language = current_language.get()
    return {
        "agenda_items": list(agenda),
        "states": sorted(states, key=lambda s: s.name(language)),
        "present": [state for state in states if attendance.get(id_of(state))],
        "outcomes": service.outcomes(get_settings()),
        "later": service.later_meetings(session, meeting),
        "earlier": service.earlier_in_force(session, meeting),
        "relations": RELATIONS,
    }


def meeting_section(
    session: Session,
    user: User,
    meeting: Meeting,
    *,
    rights: meetings.Access,
    agenda: Sequence[AgendaItem],
    states: Sequence[MemberState],
    bodies: Sequence[Body],
    groups: Sequence[WorkingGroup],
    attendance: dict[int, bool] | None,
) -> dict[str, Any]:
    """What the meeting page shows of decisions: its own, those deferred to it, and the form for recorders. The
    page passes the reader's access and what it has read already; `attendance` is None when it has not read it."""
    records = service.records(session, user, meeting)
    known = service.Known(
        opened={id_of(meeting): rights.member} if rights.opens else {},
        states={id_of(state): state for state in states},
        bodies={id_of(body): body for body in bodies},
        groups={id_of(group): group for group in groups},
    )
    own, deferred_here = service.of_and_deferred_to(session, user=user, meeting=meeting, known=known)
    if records and attendance is None:
        attendance = meetings.attendance(session, meeting)
    return {
        "rows": own,
        "deferred_here": deferred_here,
        "records": records,
        "choices": offered(session, meeting, agenda=agenda, states=states, attendance=attendance or {})
        if records
        else {},
    }
