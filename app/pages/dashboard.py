"""The dashboard: what waits for one user across the network's work — next meetings and the answers they owe,
the action items they follow, the latest minutes, membership requests, and what the notifications of every domain
count as waiting for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.auth.deps import CurrentUser
from app.auth.models import Role, User
from app.core import clock
from app.core.config import Settings, get_settings
from app.core.db import SessionDep, id_of
from app.core.i18n import current_language
from app.core.web import render
from app.governance import queries as governance_queries
from app.governance import service as governance
from app.governance.models import Body, MembershipEvent
from app.meetings import queries as meeting_queries
from app.meetings import service as meetings
from app.meetings import timing
from app.meetings.models import ActionItem, Invitation, Meeting, MinutesVersion
from app.members import queries as members
from app.members.models import MemberState
from app.notifications import service as notifications

router = APIRouter()


@router.get("/dashboard", response_class=HTMLResponse, name="dashboard")
def dashboard_page(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """Next meetings in the user's time, what waits for their answer, the action items they follow, minutes, and
    for coordinators the membership requests waiting for a decision."""
    language = current_language.get()
    return render(
        request,
        "pages/dashboard.html",
        {
            "board": dashboard(session, get_settings(), user=user),
            "waiting_for_you": notifications.waiting_for(session, user, now=clock.now()),
            "waiting_labels": notifications.WAITING_LABELS,
            "dormant": governance.dormancy(session, get_settings()),
            "zone": timing.reading_zone(user.time_zone),
            "states": {state_id: state.name(language) for state_id, state in members.states_by_id(session).items()},
        },
    )


@dataclass
class Dashboard:
    """What waits for one user. `due_actions` is None for readers who have no action items to follow (observers);
    `requests` is None for those who do not decide on membership."""

    next_meetings: list[Meeting]
    waiting: list[Meeting]
    due_actions: list[tuple[ActionItem, Meeting]] | None
    recent_minutes: list[tuple[Meeting, MinutesVersion]]
    answers: dict[int, Invitation]
    requests: list[tuple[MembershipEvent, Body, MemberState]] | None = None


def dashboard(session: Session, settings: Settings, *, user: User, now: datetime | None = None) -> Dashboard:
    """Next meetings, invitations waiting for an answer, the action items the user follows (their state's, or the
    network's for coordinators and admins), the latest minutes they may read, and the membership requests waiting
    for a coordinator's decision."""
    now = now or clock.now()
    coming = meetings.upcoming(session, user=user, limit=10, now=now)
    answers = meetings.answers_of(session, user=user, meeting_ids=[id_of(m) for m in coming])
    waiting = [m for m in coming if m.id in answers and not answers[id_of(m)].answer and not m.cancelled]
    due: list[tuple[ActionItem, Meeting]] | None = None
    if governance.coordinates(user):
        due = meetings.open_action_items(session)
    elif user.role == Role.focal_point and user.member_state_id is not None:
        due = meetings.open_action_items(session, owner_state_id=user.member_state_id)
    rows = meeting_queries.latest_minutes(session, user, limit=10)
    members_of = _member_bodies(session, user)
    recent = [
        (meeting, version)
        for meeting, version in rows
        if governance.coordinates(user) or _is_member_meeting(meeting, members_of)
    ]
    requests = governance.pending_requests(session, settings) if governance.coordinates(user) else None
    return Dashboard(coming, waiting, due, recent[:5], answers, requests)


def _member_bodies(session: Session, user: User) -> tuple[set[int], set[int]]:
    """The bodies and working groups the user's state is a member of."""
    if user.member_state_id is None:
        return set(), set()
    bodies = {
        body_id
        for (body_id, _), standing in governance.memberships(session, state_id=user.member_state_id).items()
        if standing.is_member
    }
    groups = {
        group_id
        for group_id, states in governance.group_members(
            session, [id_of(group) for group in governance_queries.working_groups(session)]
        ).items()
        if user.member_state_id in states
    }
    return bodies, groups


def _is_member_meeting(meeting: Meeting, members_of: tuple[set[int], set[int]]) -> bool:
    if meeting.working_group_id is not None:
        return meeting.working_group_id in members_of[1]
    return meeting.body_id in members_of[0]
