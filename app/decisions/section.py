"""What a meeting page shows of decisions, and what the form recording one offers for a meeting."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.config import get_settings
from app.core.i18n import current_language
from app.decisions import service
from app.decisions.models import RELATIONS
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.members.models import MemberState


def choices(session: Session, meeting: Meeting) -> dict[str, Any]:
    """What the recording form offers for this meeting."""
    settings = get_settings()
    language = current_language.get()
    states = list(session.exec(select(MemberState).order_by(col(MemberState.name_en))).all())
    return {
        "agenda_items": meetings.agenda(session, meeting),
        "states": sorted(states, key=lambda s: s.name(language)),
        "present": service.present_states(session, meeting),
        "outcomes": service.outcomes(settings),
        "later": service.later_meetings(session, meeting),
        "earlier": service.earlier_in_force(session, meeting),
        "relations": RELATIONS,
    }


def meeting_section(session: Session, user: User, meeting: Meeting) -> dict[str, Any]:
    """What the meeting page shows of decisions: its own, those deferred to it, and the form for recorders."""
    records = service.records(session, user, meeting)
    return {
        "rows": service.of_meeting(session, user=user, meeting=meeting),
        "deferred_here": service.deferred_to(session, user=user, meeting=meeting),
        "records": records,
        "choices": choices(session, meeting) if records else {},
    }
