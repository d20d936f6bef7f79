"""What pages read of needs and support."""

from __future__ import annotations

from sqlmodel import Session

from app.capacity.models import Need


def need(session: Session, need_id: int | None) -> Need | None:
    """The need with this id, or None when there is none or no id."""
    return session.get(Need, need_id) if need_id else None
