"""Bodies, memberships and chairs, working groups: the governance of the current option."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import Coordinator, CurrentUser, Member, VisitorDep
from app.auth.models import User
from app.core import clock
from app.core.config import get_settings
from app.core.db import SessionDep, id_of
from app.core.errors import DomainError, NotFound
from app.core.forms import parse_day
from app.core.i18n import N_, current_language, gettext
from app.core.web import CONFIRMED, Confirmation, confirm_first, form_action, render
from app.governance import queries, service
from app.governance.models import Body, WorkingGroup
from app.members import queries as member_queries
from app.members.models import MemberState

router = APIRouter()


Text = Annotated[str, Form(max_length=10_000)]
NOTICES = {
    "requested": N_("The request has been sent to the coordinators."),
    "decided": N_("The decision has been recorded."),
    "recorded": N_("The membership has been recorded."),
    "chair-recorded": N_("The chair has been recorded."),
    "group-saved": N_("The working group has been saved."),
    "group-created": N_("The working group has been created."),
    "members-changed": N_("The working group's members have been updated."),
}


def body_from_path(key: str, request: Request, session: SessionDep, visitor: VisitorDep) -> Body:
    return service.get_body(session, get_settings(), key, user=visitor.user)


BodyFromPath = Annotated[Body, Depends(body_from_path)]


def group_from_path(group_id: int, session: SessionDep, visitor: VisitorDep) -> WorkingGroup:
    return service.get_working_group(session, get_settings(), group_id, user=visitor.user)


GroupFromPath = Annotated[WorkingGroup, Depends(group_from_path)]


@router.get("/bodies", response_class=HTMLResponse)
def bodies(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """The regional architecture and the network bodies of the current option."""
    settings = get_settings()
    return render(
        request,
        "governance/bodies.html",
        {
            "bodies": service.list_bodies(session, settings, user=user),
            "pending": service.pending_requests(session, settings) if service.coordinates(user) else [],
        },
    )


def _body_page(
    request: Request,
    session: SessionDep,
    user: User,
    body: Body,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    settings = get_settings()
    standings = service.memberships(session, body_id=body.id)
    states = {state.id: state for state in member_queries.member_states(session)}
    own = standings.get((id_of(body), user.member_state_id)) if user.member_state_id else None
    return render(
        request,
        "governance/body.html",
        {
            "body": body,
            "active": service.is_active(body, settings),
            "members": sorted(
                ((s, states[s.state_id]) for s in standings.values() if s.is_member), key=lambda pair: pair[1].name_en
            ),
            "pending": [(s, states[s.state_id]) for s in standings.values() if s.pending],
            "history": service.history(session, body_id=body.id),
            "chairs": service.chairs(session, body),
            "groups": service.list_working_groups(session, settings, user=user, body_id=body.id),
            "own": own,
            "own_state": states.get(user.member_state_id) if user.member_state_id else None,
            "coordinates": service.coordinates(user),
            "states": list(states.values()),
            "joinable": body.kind == "network" and service.is_active(body, settings),
            "notice": NOTICES.get(notice or ""),
            "error": error,
            "today": clock.today("UTC").isoformat(),
            "profile": service.profile(settings),
        },
        status_code=status,
    )


@router.get("/bodies/{key}", response_class=HTMLResponse)
def body_page(
    request: Request, body: BodyFromPath, session: SessionDep, user: CurrentUser, notice: str | None = None
) -> HTMLResponse:
    """A body: its member states and since when, chairs, working groups, and the membership history."""
    return _body_page(request, session, user, body, notice=notice)


def _body_action(
    request: Request, session: SessionDep, user: User, body: Body, action: Callable[[], object], notice: str
) -> Response:
    return form_action(
        session,
        action,
        lambda _: RedirectResponse(f"/bodies/{body.key}?notice={notice}", status_code=303),
        lambda message, status: _body_page(request, session, user, body, status=status, error=message),
    )


def _state_by_id(session: SessionDep, state_id: str) -> MemberState:
    state = member_queries.state(session, int(state_id)) if state_id.isdigit() else None
    if state is None:
        raise DomainError(N_("Choose member states from the list."))
    return state


@router.post("/bodies/{key}/requests", response_model=None)
def request_membership(
    request: Request,
    body: BodyFromPath,
    session: SessionDep,
    user: Member,
    action: Text = "",
    note: Text = "",
    state_id: Text = "",
) -> Response:
    """A focal point asks, for their own state, to join or to withdraw."""

    def act() -> object:
        state = _state_by_id(session, state_id or str(user.member_state_id or ""))
        return service.request_membership(
            session, get_settings(), user=user, body=body, state=state, action=action, note=note
        )

    return _body_action(request, session, user, body, act, "requested")


@router.post("/bodies/{key}/members", response_model=None)
def record_member(
    request: Request, body: BodyFromPath, session: SessionDep, user: Coordinator, state_id: Text = "", note: Text = ""
) -> Response:
    """A coordinator records a membership decided elsewhere."""
    return _body_action(
        request,
        session,
        user,
        body,
        lambda: service.record_membership(
            session, get_settings(), user=user, body=body, state=_state_by_id(session, state_id), note=note
        ),
        "recorded",
    )


@router.post("/membership-requests/{event_id}", response_model=None)
def decide(
    request: Request, event_id: int, session: SessionDep, user: Coordinator, decision: Text = "", note: Text = ""
) -> Response:
    """A coordinator confirms or declines a request to join or to withdraw."""
    found = queries.body_of_request(session, event_id)
    if found is None:
        raise NotFound(N_("No such request."))
    body = service.get_body(session, get_settings(), found.key, user=user)
    return _body_action(
        request,
        session,
        user,
        body,
        lambda: service.decide(
            session, get_settings(), user=user, event_id=event_id, accept=decision == "accept", note=note
        ),
        "decided",
    )


@router.post("/bodies/{key}/chairs", response_model=None)
def record_chair(
    request: Request,
    body: BodyFromPath,
    session: SessionDep,
    user: Coordinator,
    state_id: Text = "",
    starts_on: Text = "",
    note: Text = "",
) -> Response:
    """Records the next chair in the rotation."""

    def act() -> object:
        return service.record_chair(
            session,
            get_settings(),
            user=user,
            body=body,
            state=_state_by_id(session, state_id),
            starts_on=parse_day(starts_on),
            note=note,
        )

    return _body_action(request, session, user, body, act, "chair-recorded")


# Working groups


def _groups_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, object] | None = None,
) -> HTMLResponse:
    settings = get_settings()
    groups = service.list_working_groups(session, settings, user=user, include_archived=True)
    members = service.group_members(session, [id_of(group) for group, _, _ in groups])
    allowed = service.working_group_bodies(session, settings)
    return render(
        request,
        "governance/working_groups.html",
        {
            "groups": groups,
            "members": members,
            "states": {s.id: s for s in member_queries.member_states(session)},
            "allowed_bodies": [(body, service.allowed_tracks(body, settings)) for body in allowed],
            "coordinates": service.coordinates(user),
            "error": error,
            "form": form or {},
        },
        status_code=status,
    )


@router.get("/working-groups", response_class=HTMLResponse)
def working_groups(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """Working groups of the current option, with their body, track, lead and members."""
    return _groups_page(request, session, user)


@router.post("/working-groups", response_model=None)
def create_group(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    body: Text = "",
    name: Text = "",
    track: Text = "",
    lead_state_id: Text = "",
    mandate: Text = "",
    member_state_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Creates a working group under a body the current option allows. A body that is not there or has no working
    groups under this option is refused beside the form, with every other wrong field (400)."""
    typed: dict[str, object] = {
        "body": body,
        "name": name[:160],
        "track": track,
        "mandate": mandate[:5000],
        "lead_state_id": lead_state_id,
    }
    return form_action(
        session,
        lambda: service.create_working_group(
            session,
            get_settings(),
            user=user,
            body_key=body,
            name=name,
            track=track,
            lead_state_id=int(lead_state_id) if lead_state_id.isdigit() else None,
            mandate=mandate,
            member_state_ids=[int(value) for value in member_state_ids or [] if value.isdigit()],
        ),
        lambda group: RedirectResponse(f"/working-groups/{group.id}?notice=group-created", status_code=303),
        lambda message, status: _groups_page(request, session, user, status=status, error=message, form=typed),
    )


def _group_page(
    request: Request,
    session: SessionDep,
    user: User,
    group: WorkingGroup,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The group's page; `typed` fills its edit form as it was refused."""
    settings = get_settings()
    body = queries.body(session, group.body_id)
    assert body is not None  # a group's body is a foreign key
    states = {s.id: s for s in member_queries.member_states(session)}
    group_id = id_of(group)
    members = service.group_members(session, [group_id]).get(group_id, set())
    return render(
        request,
        "governance/working_group.html",
        {
            "group": group,
            "body": body,
            "active": service.is_active(body, settings),
            "members": sorted((states[i] for i in members), key=lambda s: s.name_en),
            "states": states,
            "coordinates": service.coordinates(user),
            "notice": NOTICES.get(notice or ""),
            "error": error,
            "typed": typed or {},
        },
        status_code=status,
    )


@router.get("/working-groups/{group_id}", response_class=HTMLResponse)
def working_group(
    request: Request, group: GroupFromPath, session: SessionDep, user: CurrentUser, notice: str | None = None
) -> HTMLResponse:
    """A working group: body, track, lead state, members and mandate."""
    return _group_page(request, session, user, group, notice=notice)


def _group_action(
    request: Request,
    session: SessionDep,
    user: User,
    group: WorkingGroup,
    action: Callable[[], object],
    notice: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """Runs a change (or asks to confirm it); a refusal shows the group's page with the message, and the edit form
    with what was `typed` in it."""

    def done(answer: object) -> Response:
        if isinstance(answer, Response):
            return answer
        return RedirectResponse(f"/working-groups/{group.id}?notice={notice}", status_code=303)

    return form_action(
        session,
        action,
        done,
        lambda message, status: _group_page(request, session, user, group, status=status, error=message, typed=typed),
    )


def _confirm_removal(
    request: Request, session: SessionDep, user: User, group: WorkingGroup, state: MemberState
) -> Response:
    """Asks before a state leaves a working group, once the removal is known to be possible."""
    service.check_member_change(session, get_settings(), user=user, group=group, state_id=id_of(state), add=False)
    return confirm_first(
        request,
        Confirmation(
            question=gettext("Remove %(state)s from “%(name)s”?")
            % {"state": state.name(current_language.get()), "name": group.name},
            consequence=gettext("Its membership ends today; the history of the group keeps it."),
            told=[],
            button=gettext("Remove the state"),
            action=f"/working-groups/{group.id}/members",
            back=f"/working-groups/{group.id}",
            fields={"state_id": str(state.id), "change": "remove"},
        ),
    )


@router.post("/working-groups/{group_id}", response_model=None)
def update_group(
    request: Request,
    group: GroupFromPath,
    session: SessionDep,
    user: Coordinator,
    name: Text = "",
    mandate: Text = "",
    lead_state_id: Text = "",
) -> Response:
    """Renames the group, or changes its mandate or lead state."""
    return _group_action(
        request,
        session,
        user,
        group,
        lambda: service.update_working_group(
            session,
            get_settings(),
            user=user,
            group=group,
            name=name,
            mandate=mandate,
            lead_state_id=int(lead_state_id) if lead_state_id.isdigit() else None,
        ),
        "group-saved",
        typed={"name": name[:160], "mandate": mandate[:5000], "lead_state_id": lead_state_id},
    )


@router.post("/working-groups/{group_id}/archive", response_model=None)
def archive_group(
    request: Request,
    group: GroupFromPath,
    session: SessionDep,
    user: Coordinator,
    archived: Text = "1",
    confirmed: Text = "",
) -> Response:
    """Archives the group once confirmed (or brings it back)."""
    if archived == "1" and confirmed != CONFIRMED:
        return _group_action(request, session, user, group, lambda: _confirm_archive(request, session, user, group), "")
    return _group_action(
        request,
        session,
        user,
        group,
        lambda: service.archive_working_group(
            session, get_settings(), user=user, group=group, archived=archived == "1"
        ),
        "group-saved",
    )


def _confirm_archive(request: Request, session: SessionDep, user: User, group: WorkingGroup) -> Response:
    """Asks before a working group is archived, once archiving it is known to be possible."""
    service.check_group_changeable(session, get_settings(), user, group)
    return confirm_first(
        request,
        Confirmation(
            question=gettext("Archive the working group “%(name)s”?") % {"name": group.name},
            consequence=gettext(
                "It takes no new meetings; its members, meetings and history stay, and it can be brought back."
            ),
            told=[],
            button=gettext("Archive the group"),
            action=f"/working-groups/{group.id}/archive",
            back=f"/working-groups/{group.id}",
            fields={"archived": "1"},
        ),
    )


@router.post("/working-groups/{group_id}/members", response_model=None)
def change_members(
    request: Request,
    group: GroupFromPath,
    session: SessionDep,
    user: Coordinator,
    state_id: Text = "",
    change: Text = "add",
    confirmed: Text = "",
) -> Response:
    """Adds a state to the group or removes it (once confirmed)."""
    if change == "remove" and confirmed != CONFIRMED:
        return _group_action(
            request,
            session,
            user,
            group,
            lambda: _confirm_removal(request, session, user, group, _state_by_id(session, state_id)),
            "",
        )
    return _group_action(
        request,
        session,
        user,
        group,
        lambda: service.change_group_member(
            session,
            get_settings(),
            user=user,
            group=group,
            state_id=id_of(_state_by_id(session, state_id)),
            add=change == "add",
        ),
        "members-changed",
    )
