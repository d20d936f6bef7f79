"""Who may see what of a meeting, and who runs it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists
from sqlmodel import Session, col, select

from app.auth.models import Role, User
from app.core.db import id_of
from app.core.errors import Forbidden, NotFound
from app.core.i18n import N_
from app.governance import service as governance
from app.meetings.models import (
    ActionItem,
    AgendaItem,
    Invitation,
    Meeting,
    MeetingInvitee,
    MeetingSeries,
)


@dataclass(frozen=True)
class Access:
    """What one user may do with one meeting."""

    sees: bool
    member: bool
    runs: bool
    state_id: int | None
    # A member of its body or group, or invited in person or as a state: what openable() asks (a reader may also
    # see a meeting only for an action item their state owns).
    opens: bool = False
    # The states that are members of the meeting's body or group, when the check had to read them (None: not read).
    members: frozenset[int] | None = None

    @property
    def attributions(self) -> bool:
        return self.member or self.runs


def member_states(session: Session, meeting: Meeting | MeetingSeries) -> set[int]:
    """The states that are members of the meeting's body or working group (they see members-only parts)."""
    if meeting.working_group_id is not None:
        return governance.group_members(session, [meeting.working_group_id]).get(meeting.working_group_id, set())
    if meeting.body_id is None:
        return set()
    return governance.member_state_ids(session, meeting.body_id)


def access(session: Session, meeting: Meeting, user: User) -> Access:
    if governance.coordinates(user):
        return Access(sees=True, member=True, runs=True, state_id=None, opens=True)
    members = member_states(session, meeting)
    state_id = user.member_state_id if user.role == Role.focal_point else None
    member = reads_members_part(user, members)
    in_person, as_state, follows_item = (
        (False, False, False) if member else _invitations(session, meeting, user, state_id)
    )
    return Access(
        sees=member or in_person or as_state or follows_item,
        member=member,
        runs=False,
        state_id=state_id,
        opens=member or in_person or as_state,
        members=frozenset(members),
    )


# Built once, the meeting, the person and their state bound: every meeting's page asks it of those not members.
_IN_PERSON = exists().where(
    col(Invitation.meeting_id) == bindparam("meeting_id"), col(Invitation.user_id) == bindparam("user_id")
)
_INVITED_IN_PERSON = select(_IN_PERSON)
_INVITED_OR_FOLLOWING = select(
    _IN_PERSON,
    exists().where(
        col(MeetingInvitee.meeting_id) == bindparam("meeting_id"), col(MeetingInvitee.state_id) == bindparam("state_id")
    ),
    exists().where(
        col(ActionItem.meeting_id) == bindparam("meeting_id"), col(ActionItem.owner_state_id) == bindparam("state_id")
    ),
)


def _invitations(session: Session, meeting: Meeting, user: User, state_id: int | None) -> tuple[bool, bool, bool]:
    """Whether the user is invited in person, their state invited, and their state the owner of an action item the
    meeting raised (its focal points follow the item there even when the state is not a member); one query."""
    params = {"meeting_id": meeting.id, "user_id": user.id, "state_id": state_id}
    if state_id is None:
        return bool(session.exec(_INVITED_IN_PERSON, params=params).one()), False, False
    in_person, as_state, follows_item = session.exec(_INVITED_OR_FOLLOWING, params=params).one()
    return bool(in_person), bool(as_state), bool(follows_item)


def reads_members_part(user: User, members: set[int]) -> bool:
    """Whether the user reads a meeting's members-only parts, given the states that are members of its body or
    working group: coordinators and admins, and the focal points of those states."""
    if governance.coordinates(user):
        return True
    return user.role == Role.focal_point and user.member_state_id is not None and user.member_state_id in members


def visible_agenda(items: Sequence[AgendaItem], *, attributions: bool) -> tuple[list[AgendaItem], int]:
    """The agenda items a reader may see (members-only items only for those who read members-only parts) and how
    many are left out: on the meeting's page and in its emails alike."""
    shown = list(items) if attributions else [item for item in items if item.part == "observers"]
    return shown, len(items) - len(shown)


def openable(session: Session, user: User, meetings: Sequence[Meeting]) -> list[Meeting]:
    """The meetings among these that the user may open, by the rule of access(), in a few queries whatever their
    number: wherever a meeting is named, only those who may open it see it."""
    if governance.coordinates(user) or not meetings:
        return list(meetings)
    ids = [id_of(meeting) for meeting in meetings]
    seen = set(
        session.exec(
            select(Invitation.meeting_id).where(col(Invitation.meeting_id).in_(ids), Invitation.user_id == user.id)
        ).all()
    )
    state_id = user.member_state_id if user.role == Role.focal_point else None
    if state_id is None:
        return [meeting for meeting in meetings if meeting.id in seen]
    seen |= set(
        session.exec(
            select(MeetingInvitee.meeting_id).where(
                col(MeetingInvitee.meeting_id).in_(ids), MeetingInvitee.state_id == state_id
            )
        ).all()
    )
    owners = {(meeting.body_id, meeting.working_group_id): meeting for meeting in meetings}
    member_of = {owner for owner, meeting in owners.items() if state_id in member_states(session, meeting)}
    return [m for m in meetings if m.id in seen or (m.body_id, m.working_group_id) in member_of]


# Built once, as Session.get builds its statement again on every call: every meeting's page reads it first.
_MEETING = select(Meeting).where(Meeting.id == bindparam("meeting_id"))


def get_meeting(session: Session, meeting_id: int, *, user: User) -> tuple[Meeting, Access]:
    """The meeting and the user's access; a meeting the user may not see is not found, as if it did not exist."""
    meeting = session.exec(_MEETING, params={"meeting_id": meeting_id}).first()
    if meeting is None:
        raise NotFound(N_("No such meeting."))
    rights = access(session, meeting, user)
    if not rights.sees:
        raise NotFound(N_("No such meeting."))
    return meeting, rights


def require_runner(user: User) -> None:
    if not governance.coordinates(user):
        raise Forbidden(N_("Only coordinators and admins run meetings."))


def invited_states(session: Session, meeting_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for row in session.exec(select(MeetingInvitee).where(col(MeetingInvitee.meeting_id).in_(meeting_ids))).all():
        found[row.meeting_id].add(row.state_id)
    return found


def same_owner(in_group: bool) -> ColumnElement[bool]:
    """Meetings of the body or working group (`in_group`: of a working group) bound as `body_id` and `group_id`, for
    statements built once: owner_values() binds a meeting's."""
    if in_group:
        return col(Meeting.working_group_id) == bindparam("group_id")
    return and_(col(Meeting.body_id) == bindparam("body_id"), col(Meeting.working_group_id).is_(None))


def owner_values(meeting: Meeting) -> dict[str, int | None]:
    return {"body_id": meeting.body_id, "group_id": meeting.working_group_id}


def reader(user: User) -> tuple[str, dict[str, int | None]]:
    """Which meetings the user may see: all of them (coordinators), those they or their state are invited to (a
    focal point), or those they are invited to; and the values visible_statement() binds for them."""
    if governance.coordinates(user):
        kind = "all"
    elif user.role == Role.focal_point and user.member_state_id is not None:
        kind = "state"
    else:
        kind = "person"
    return kind, {"reader_id": user.id, "reader_state_id": user.member_state_id}


@cache
def visible_statement(kind: str) -> Any:
    """The meetings a kind of reader (see reader()) may see, built once per kind, the reader bound."""
    query = select(Meeting)
    if kind == "all":
        return query
    invited = select(Invitation.meeting_id).where(Invitation.user_id == bindparam("reader_id"))
    if kind == "state":
        as_state = select(MeetingInvitee.meeting_id).where(MeetingInvitee.state_id == bindparam("reader_state_id"))
        return query.where(col(Meeting.id).in_(invited) | col(Meeting.id).in_(as_state))
    return query.where(col(Meeting.id).in_(invited))


def visible_query(user: User) -> Any:
    """Meetings the user may see, as a query with the user's values in it (coordinators: all)."""
    kind, values = reader(user)
    return visible_statement(kind).params(**values)
