"""The country brief: one printable page on a state — the information a capital asks for, from every domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.auth.deps import CurrentUser
from app.auth.models import Role, User
from app.capacity import queries as capacity
from app.capacity.models import Need, Support
from app.coalitions import service as coalitions
from app.core import clock, paging
from app.core.config import Settings, get_settings
from app.core.db import SessionDep, id_of
from app.core.web import render
from app.governance import service as governance
from app.meetings import service as meetings
from app.meetings.models import ActionItem, Meeting
from app.members import queries as member_queries
from app.members.models import MemberState
from app.training import service as training


@dataclass(frozen=True)
class CountryBrief:
    """What the brief shows; meetings and action items are None for readers who may not see them."""

    profile: member_queries.StateProfile
    needs: paging.Head[Need]
    support: paging.Head[Support]
    courses: paging.Head[training.StateCourse]
    coalitions: list[coalitions.CoalitionRow]
    meetings: list[Meeting] | None
    action_items: paging.Head[tuple[ActionItem, Meeting]] | None
    dormant: governance.Dormancy


SUPPORT_SHOWN_FOR = timedelta(days=365)  # support that ended longer ago is history, not part of a brief
ROWS_SHOWN = 20  # of each list: a brief stays a few printed pages, however much a state has; it says how many more


def support_since() -> date:
    """The first day support must still run on to be in a brief: so the brief does not grow with the years."""
    return clock.today("UTC") - SUPPORT_SHOWN_FOR


def sees_state_business(user: User, state: MemberState) -> bool:
    """A state's meetings and action items: its own focal points, coordinators and admins."""
    return governance.coordinates(user) or (user.role == Role.focal_point and user.member_state_id == state.id)


def country_brief(session: Session, settings: Settings, *, state: MemberState, user: User) -> CountryBrief:
    own = sees_state_business(user, state)
    state_id = id_of(state)
    return CountryBrief(
        profile=member_queries.state_profile(session, settings, state),
        needs=capacity.pressing_needs(session, state_id=state_id, size=ROWS_SHOWN),
        support=capacity.current_support(session, state_id=state_id, ended_since=support_since(), size=ROWS_SHOWN),
        courses=training.upcoming_for_state(session, state_id=state_id, size=ROWS_SHOWN),
        coalitions=coalitions.list_coalitions(session, state_id=state_id),
        meetings=meetings.upcoming_for_state(session, state_id=state_id) if own else None,
        action_items=meetings.open_action_items_of_state(session, state_id=state_id, size=ROWS_SHOWN) if own else None,
        dormant=governance.dormancy(session, settings),
    )


router = APIRouter()


def state_from_path(code: str, session: SessionDep) -> MemberState:
    return member_queries.get_state(session, code)


@router.get("/members/{code}/brief", name="country_brief", response_class=HTMLResponse)
def country_brief_page(
    request: Request, state: Annotated[MemberState, Depends(state_from_path)], session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """One printable page on a state: memberships, focal points, contributions, needs and support, courses,
    meetings and open action items."""
    settings = get_settings()
    return render(
        request,
        "members/brief.html",
        {
            "brief": country_brief(session, settings, state=state, user=user),
            "state": state,
            "states": {place.id: place for place in member_queries.member_states(session)},
            "today": clock.today("UTC"),
        },
    )
