"""What pages read of meetings beyond their own services."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.meetings.models import Meeting, MinutesVersion
from app.meetings.service import visible_query


def latest_minutes(session: Session, user: User, *, limit: int) -> list[tuple[Meeting, MinutesVersion]]:
    """The newest version of the minutes of each meeting the user may see, most recently written first."""
    latest = (
        select(MinutesVersion.meeting_id, func.max(MinutesVersion.id).label("newest"))
        .group_by(col(MinutesVersion.meeting_id))
        .subquery()
    )
    readable = visible_query(user).subquery()
    rows = session.exec(
        select(Meeting, MinutesVersion)
        .join(latest, latest.c.meeting_id == Meeting.id)
        .join(MinutesVersion, col(MinutesVersion.id) == latest.c.newest)
        .where(col(Meeting.id).in_(select(readable.c.id)))
        .order_by(col(MinutesVersion.written_at).desc())
        .limit(limit)
    ).all()
    return [(meeting, version) for meeting, version in rows]
