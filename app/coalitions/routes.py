"""Coalition pages: the list, convening one, and a coalition's page with its partners, needs in scope,
meetings, action items and progress history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import Coordinator, CurrentUser, Member
from app.auth.models import Role, User
from app.capacity import queries as capacity
from app.coalitions import service
from app.coalitions.models import Coalition
from app.core import region
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import DomainError
from app.core.i18n import N_, current_language, gettext
from app.core.web import CONFIRMED, Confirmation, confirm_first, error_text, form_action, render
from app.meetings import service as meetings
from app.meetings import timing
from app.members import queries as members

router = APIRouter()
# Leads and partner states act through focal points; the coalition's own rules are checked by the service.
Text = Annotated[str, Form(max_length=10_000)]
Choices = Annotated[list[str], Form()]

NOTICES = {
    "convened": N_("The coalition has been convened. Add the needs it works on."),
    "partner": N_("The partner has been added."),
    "left": N_("The partner's departure has been recorded."),
    "need": N_("The need is now in the coalition's scope."),
    "progress": N_("The progress has been recorded."),
    "meeting": N_("The meeting has been scheduled; invite its participants from the meeting's page."),
    "action": N_("The action item has been added."),
    "status": N_("The coalition's status has been changed."),
}


def coalition_from_path(coalition_id: int, session: SessionDep) -> Coalition:
    return service.get_coalition(session, coalition_id)


CoalitionFromPath = Annotated[Coalition, Depends(coalition_from_path)]


def _list_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    values: dict[str, object] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "coalitions/page.html",
        {
            "rows": service.list_coalitions(session),
            "states": members.member_states(session),
            "values": values or {},
            "error": error,
            "notice": NOTICES.get(notice),
            "convenes": user.role in (Role.admin, Role.coordinator),
        },
        status_code=status,
    )


@router.get("/coalitions", response_class=HTMLResponse)
def coalitions(request: Request, session: SessionDep, user: CurrentUser, notice: str = "") -> HTMLResponse:
    """Every country coalition, and the form to convene one for coordinators."""
    return _list_page(request, session, user, notice=notice)


@router.post("/coalitions", response_model=None)
def convene(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    state_id: Text = "",
    title: Text = "",
    purpose: Text = "",
    partner_state_ids: Choices = [],  # noqa: B006
    organisations: Text = "",
) -> Response:
    """Convenes a coalition around one state's needs."""

    def refused(message: str, status: int) -> Response:
        values: dict[str, object] = {
            "state_id": state_id,
            "title": title,
            "purpose": purpose,
            "organisations": organisations,
            "partner_state_ids": partner_state_ids,
        }
        return _list_page(request, session, user, values=values, error=message, status=status)

    return form_action(
        session,
        lambda: service.convene(
            session,
            user=user,
            state_id=state_id,
            title=title,
            purpose=purpose,
            partner_state_ids=partner_state_ids,
            organisations=organisations,
        ),
        lambda coalition: RedirectResponse(f"/coalitions/{coalition.id}?notice=convened", status_code=303),
        refused,
    )


def _coalition_page(
    request: Request,
    session: SessionDep,
    user: User,
    coalition: Coalition,
    *,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
    meeting_values: dict[str, str] | None = None,
    choices: tuple[timing.LocalChoice, ...] = (),
    scheduled: str = "",
) -> HTMLResponse:
    language = current_language.get()
    states = {state.id: state for state in members.member_states(session)}
    held = meetings.openable(session, user, service.coalition_meetings(session, coalition))
    every_partner = service.partners(session, coalition, current_only=False)
    current = [(partner, state) for partner, state in every_partner if partner.left_at is None]
    partner_states = {state.id for _, state in current if state and state.id}
    scope = service.needs_in_scope(session, coalition)
    in_scope = {need.id for need in scope}
    return render(
        request,
        "coalitions/detail.html",
        {
            "coalition": coalition,
            "state": states[coalition.state_id],
            "states": states,
            "partners": current,
            "scope": scope,
            "other_needs": [
                need
                for need in capacity.needs_of_state(session, state_id=coalition.state_id)
                if need.id not in in_scope
            ],
            "meetings": held,
            "action_items": meetings.open_action_items(session, meeting_ids=[m.id for m in held if m.id])
            if held
            else [],
            "history": service.history(session, coalition, language=language, every_partner=every_partner, held=held),
            "leads": service.leads(user, coalition),
            "takes_part": service.takes_part(session, user, coalition, partner_states),
            "runs_meetings": user.role in (Role.admin, Role.coordinator),
            "zones": region.time_zones(get_settings().seeds_dir),
            "errors": errors or {},
            "notice": NOTICES.get(notice),
            "meeting_values": meeting_values or {},
            "choices": choices,
            "choice_form": "coalition-meeting-form",
            "scheduled": next((m for m in held if str(m.id) == scheduled), None) if notice == "meeting" else None,
        },
        status_code=status,
    )


@router.get("/coalitions/{coalition_id}", response_class=HTMLResponse)
def coalition(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    coalition: CoalitionFromPath,
    notice: str = "",
    meeting: str = "",
) -> HTMLResponse:
    """A coalition: its state, partners, needs in scope, meetings, open action items and progress history."""
    return _coalition_page(request, session, user, coalition, notice=notice, scheduled=meeting)


def _change(
    request: Request,
    session: SessionDep,
    user: User,
    coalition: Coalition,
    part: str,
    change: Callable[[], object],
    notice: str,
) -> Response:
    """Makes the change and goes back to the coalition; a refusal (other than for lack of rights) shows the
    coalition page with the message beside the form `part`, nothing changed. A partner or a need that is not there
    (404) is said beside its form: the coalition itself is there."""
    return form_action(
        session,
        change,
        lambda _: RedirectResponse(f"/coalitions/{coalition.id}?notice={notice}#{part}", status_code=303),
        lambda message, status: _coalition_page(
            request, session, user, coalition, errors={part: message}, status=status
        ),
        on_page=(404,),
    )


@router.post("/coalitions/{coalition_id}/partners", response_model=None)
def add_partner(
    request: Request,
    session: SessionDep,
    user: Member,
    coalition: CoalitionFromPath,
    partner_state_id: Text = "",
    organisation: Text = "",
) -> Response:
    """Adds a partner state or organisation."""
    return _change(
        request,
        session,
        user,
        coalition,
        "partners",
        lambda: service.add_partner(
            session, user=user, coalition=coalition, state_id=partner_state_id, organisation=organisation
        ),
        "partner",
    )


@router.post("/coalitions/{coalition_id}/partners/{partner_id}/leave", response_model=None)
def partner_leaves(
    request: Request,
    session: SessionDep,
    user: Member,
    coalition: CoalitionFromPath,
    partner_id: int,
    confirmed: Text = "",
) -> Response:
    """Records that a partner left the coalition, once confirmed."""
    if confirmed != CONFIRMED and service.leads(user, coalition):
        partner = service.current_partner(session, coalition, partner_id)
        return confirm_first(
            request,
            Confirmation(
                question=gettext("Record that %(partner)s left the coalition?")
                % {"partner": service.partner_name(session, partner, current_language.get())},
                consequence=gettext("The partner's time in the coalition stays in its history."),
                told=[],
                button=gettext("Record the departure"),
                action=f"/coalitions/{coalition.id}/partners/{partner_id}/leave",
                back=f"/coalitions/{coalition.id}#partners",
            ),
        )
    return _change(
        request,
        session,
        user,
        coalition,
        "partners",
        lambda: service.partner_leaves(session, user=user, coalition=coalition, partner_id=partner_id),
        "left",
    )


@router.post("/coalitions/{coalition_id}/needs", response_model=None)
def add_need(
    request: Request, session: SessionDep, user: Member, coalition: CoalitionFromPath, need_id: Text = ""
) -> Response:
    """Brings one of the state's needs into the coalition's scope."""
    return _change(
        request,
        session,
        user,
        coalition,
        "needs",
        lambda: service.add_need(session, user=user, coalition=coalition, need_id=need_id),
        "need",
    )


@router.post("/coalitions/{coalition_id}/progress", response_model=None)
def record_progress(
    request: Request, session: SessionDep, user: Member, coalition: CoalitionFromPath, text: Text = ""
) -> Response:
    """Adds an entry to the progress history."""
    return _change(
        request,
        session,
        user,
        coalition,
        "history",
        lambda: service.record_progress(session, user=user, coalition=coalition, text=text),
        "progress",
    )


@router.post("/coalitions/{coalition_id}/status", response_model=None)
def set_status(
    request: Request, session: SessionDep, user: Member, coalition: CoalitionFromPath, status: Text = ""
) -> Response:
    """Closes or reopens the coalition."""
    return _change(
        request,
        session,
        user,
        coalition,
        "status",
        lambda: service.set_status(session, user=user, coalition=coalition, status=status),
        "status",
    )


@router.post("/coalitions/{coalition_id}/meetings", response_model=None)
def schedule_meeting(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    coalition: CoalitionFromPath,
    title: Text = "",
    day: Text = "",
    start: Text = "",
    duration: Text = "60",
    host_zone: Text = "",
    format: Text = "virtual",
    link: Text = "",
    venue: Text = "",
    city: Text = "",
    host_state: Text = "",
    pick: Text = "",
    chosen: Text = "",
) -> Response:
    """Schedules a coalition meeting, to which the state and its partner states are invited; its times are read in
    the host state's zone unless another is chosen. A refusal keeps what was typed, and offers the valid readings
    of a time that does not exist or happens twice at the host."""
    day, start, chosen = meetings.picked(day, start, pick, chosen)
    form = meetings.MeetingForm(
        title=title,
        day=day,
        start=start,
        duration=duration,
        host_zone=host_zone,
        format=format,
        link=link,
        venue=venue,
        city=city,
        host_state_code=host_state,
        chosen=chosen,
    )
    # Not form_action(): the refusal page needs the error itself, for the readings of an ambiguous time to pick.
    try:
        meeting = service.schedule_meeting(session, get_settings(), user=user, coalition=coalition, form=form)
    except DomainError as error:
        session.rollback()
        if error.status_code == 403:
            raise
        typed = {key: str(value) for key, value in vars(form).items() if isinstance(value, str | int)}
        return _coalition_page(
            request,
            session,
            user,
            coalition,
            errors={"meetings": error_text(error)},
            status=error.status_code,
            meeting_values=typed,
            choices=timing.choices_of(error),
        )
    return RedirectResponse(f"/coalitions/{coalition.id}?notice=meeting&meeting={meeting.id}#meetings", status_code=303)


@router.post("/coalitions/{coalition_id}/action-items", response_model=None)
def add_action_item(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    coalition: CoalitionFromPath,
    meeting_id: Text = "",
    owner_state_id: Text = "",
    text: Text = "",
    due_on: Text = "",
) -> Response:
    """Adds an action item raised at one of the coalition's meetings."""
    return _change(
        request,
        session,
        user,
        coalition,
        "actions",
        lambda: service.add_action_item(
            session,
            user=user,
            coalition=coalition,
            meeting_id=meeting_id,
            owner_state_id=owner_state_id,
            text=text,
            due_on=due_on,
        ),
        "action",
    )
