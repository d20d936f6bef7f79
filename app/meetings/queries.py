"""What the meetings pages read that no use case owns: lists for their forms and the rows one meeting page shows,
each a single query."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import Session, col, select

from app.auth.models import Role, User
from app.governance.models import Body, WorkingGroup
from app.meetings.models import Invitation, Meeting, MeetingInvitee, MeetingSeries, MinutesVersion
from app.meetings.service import visible_query

# The statements a meeting's page runs on every view are built once, with the meeting as a bound parameter:
# building one cost more than running it.
_BODIES_AND_GROUPS = select(Body, WorkingGroup).outerjoin(WorkingGroup, col(WorkingGroup.body_id) == Body.id)
_INVITED_STATES = select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == bindparam("meeting_id"))
_ANSWERS = (
    select(Invitation, User)
    .join(User, col(User.id) == Invitation.user_id)
    .where(Invitation.meeting_id == bindparam("meeting_id"))
    .order_by(col(User.display_name))
)
_OBSERVERS_AND_REACHED = (
    select(col(User.id), col(User.display_name), col(User.role), col(User.member_state_id))
    .where(
        User.is_active == True,  # noqa: E712
        or_(
            col(User.role) == Role.observer,
            and_(
                col(User.role) == Role.focal_point,
                col(User.member_state_id).in_(bindparam("state_ids", expanding=True)),
            ),
        ),
    )
    .order_by(col(User.display_name))
)


def bodies_and_groups(session: Session) -> tuple[list[Body], list[WorkingGroup]]:
    """Every body and every working group, in one query (a working group always hangs on a body)."""
    bodies: dict[int | None, Body] = {}
    groups: list[WorkingGroup] = []
    for body, group in session.exec(_BODIES_AND_GROUPS).all():
        bodies[body.id] = body
        if group is not None:
            groups.append(group)
    return list(bodies.values()), groups


def body(session: Session, body_id: int) -> Body | None:
    return session.get(Body, body_id)


def all_series(session: Session) -> list[MeetingSeries]:
    """Every meeting series, oldest first."""
    return list(session.exec(select(MeetingSeries).order_by(col(MeetingSeries.id))).all())


def series(session: Session, series_id: int) -> MeetingSeries | None:
    return session.get(MeetingSeries, series_id)


def invited_state_ids(session: Session, meeting: Meeting) -> set[int]:
    """The ids of the states invited to the meeting."""
    return set(session.exec(_INVITED_STATES, params={"meeting_id": meeting.id}).all())


def answers(session: Session, meeting: Meeting) -> list[tuple[Invitation, User]]:
    """Every invitation to the meeting with the person invited, by name."""
    return [
        (invitation, person) for invitation, person in session.exec(_ANSWERS, params={"meeting_id": meeting.id}).all()
    ]


class Observer(NamedTuple):
    """An observer a coordinator may invite: what the invitation form shows of them."""

    id: int
    display_name: str


def observers_and_reached(session: Session, state_ids: Collection[int]) -> tuple[list[Observer], set[int]]:
    """The active observers, by name (whom a coordinator may invite besides the states), and which of these states
    have an active focal point (who receives the state's invitations), in one query of four columns."""
    people = session.exec(_OBSERVERS_AND_REACHED, params={"state_ids": list(state_ids)}).all()
    observers = [
        Observer(user_id, name)
        for user_id, name, role, _state in people
        if role == Role.observer and user_id is not None
    ]
    reached = {state for _id, _name, role, state in people if role == Role.focal_point and state is not None}
    return observers, reached


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
