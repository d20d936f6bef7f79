"""What pages read of accounts."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.auth.models import User, UserSession
from app.core.errors import NotFound
from app.core.i18n import N_


def account(session: Session, user_id: int | None) -> User | None:
    """The account with this id, or None when there is none or no id."""
    return session.get(User, user_id) if user_id is not None else None


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such account."))
    return user


def list_users(session: Session) -> list[tuple[User, int]]:
    """Every account with its number of open sessions, in one query."""
    open_sessions = (
        select(UserSession.user_id, func.count().label("n"))
        .where(col(UserSession.ended_at).is_(None))
        .group_by(col(UserSession.user_id))
        .subquery()
    )
    rows = session.exec(
        select(User, func.coalesce(open_sessions.c.n, 0))
        .outerjoin(open_sessions, open_sessions.c.user_id == User.id)
        .order_by(User.role, User.email)
    ).all()
    return [(user, count) for user, count in rows]
