"""What pages read of bodies, working groups and membership requests."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.governance.models import Body, MembershipEvent, WorkingGroup


def bodies(session: Session) -> list[Body]:
    """Every body, of every option, in the order they were made."""
    return list(session.exec(select(Body).order_by(col(Body.id))).all())


def working_groups(session: Session) -> list[WorkingGroup]:
    """Every working group, by name."""
    return list(session.exec(select(WorkingGroup).order_by(col(WorkingGroup.name))).all())


def body(session: Session, body_id: int) -> Body | None:
    return session.get(Body, body_id)


def body_by_key(session: Session, key: str) -> Body | None:
    return session.exec(select(Body).where(Body.key == key)).first()


def body_of_request(session: Session, event_id: int) -> Body | None:
    """The body a membership request is addressed to, or None when there is no such request."""
    event = session.get(MembershipEvent, event_id)
    return session.get(Body, event.body_id) if event else None
