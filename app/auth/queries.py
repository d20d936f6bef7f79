"""What pages read of accounts."""

from __future__ import annotations

from sqlmodel import Session

from app.auth.models import User


def account(session: Session, user_id: int | None) -> User | None:
    """The account with this id, or None when there is none or no id."""
    return session.get(User, user_id) if user_id is not None else None
