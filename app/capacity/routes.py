"""Capacity-building pages: the needs and a need's history, recording support and its life, and the deconfliction
view (with its CSV) for coordinators and admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import Coordinator, CurrentUser, Member, Partner
from app.auth.models import Role, User
from app.capacity import queries, service
from app.capacity.models import AREAS, NEED_STATUSES, NEED_TRACKS, Need, Support
from app.core import paging, region
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.exports import csv_response
from app.core.i18n import N_, current_language
from app.core.web import form_action, render
from app.members import queries as members
from app.training import service as training

router = APIRouter()
# Needs are recorded by focal points (their own state), coordinators and admins; support also by observers
# (partner organisations). The role is checked before a need or support is looked up.
Text = Annotated[str, Form(max_length=10_000)]

NOTICES = {
    "need_recorded": N_("The need has been recorded."),
    "need_status": N_("The need's status has been changed."),
    "support_recorded": N_("The support has been recorded."),
    "support_status": N_("The support's status has been changed."),
}


def need_from_path(need_id: int, session: SessionDep) -> Need:
    return queries.get_need(session, need_id)


def support_from_path(support_id: int, session: SessionDep) -> Support:
    return queries.get_support(session, support_id)


NeedFromPath = Annotated[Need, Depends(need_from_path)]
SupportFromPath = Annotated[Support, Depends(support_from_path)]


def _subregions() -> dict[str, region.Localised]:
    return region.load(get_settings().seeds_dir).subregions


# Needs


def _needs_page(
    request: Request,
    session: SessionDep,
    user: User,
    filters: service.NeedFilters,
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
    page: int = 1,
) -> HTMLResponse:
    states = members.member_states(session)
    rows, pages = paging.cut(request, service.list_needs(session, filters=filters, page=page), page)
    own = (
        next((s for s in states if s.id == user.member_state_id), None) if user.role == Role.focal_point.value else None
    )
    return render(
        request,
        "capacity/needs.html",
        {
            "rows": rows,
            "page": pages,
            "filters": filters,
            "states": states,
            "subregions": _subregions(),
            "may_record": service.may_record_need(user),
            "own_state": own,
            "chooses_state": user.role in service.STAFF,
            "values": values or {},
            "error": error,
            "notice": NOTICES.get(notice),
            "may_support": service.may_record_support(user),
        },
        partial="capacity/_needs.html",
        status_code=status,
    )


@router.get("/needs", response_class=HTMLResponse)
def needs(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    state: str = "",
    area: str = "",
    track: str = "",
    status: str = "",
    subregion: str = "",
    notice: str = "",
    page: str = "",
) -> HTMLResponse:
    """The states' capacity-building needs, filtered by state, area, track, status and subregion, a page at a
    time."""
    filters = service.NeedFilters(
        state=state[:2],
        area=area if area in AREAS else "",
        track=track if track in NEED_TRACKS else "",
        status=status if status in NEED_STATUSES else "",
        subregion=subregion if subregion in _subregions() else "",
    )
    return _needs_page(request, session, user, filters, notice=notice, page=paging.page_number(page))


@router.post("/needs", response_model=None)
def record_need(
    request: Request,
    session: SessionDep,
    user: Member,
    area: Text = "",
    track: Text = "",
    description: Text = "",
    priority: Text = "",
    wanted_by: Text = "",
    state: Text = "",
) -> Response:
    """Records a need of the user's state (any state for coordinators and admins)."""
    form = service.NeedForm(
        area=area, track=track, description=description, priority=priority, state=state, wanted_by=wanted_by
    )
    return form_action(
        session,
        lambda: service.record_need(session, user=user, form=form),
        lambda need: RedirectResponse(f"/needs/{need.id}?notice=need_recorded", status_code=303),
        lambda message, status: _needs_page(
            request, session, user, service.NeedFilters(), values=vars(form), error=message, status=status
        ),
    )


def _need_page(
    request: Request,
    session: SessionDep,
    user: User,
    need: Need,
    *,
    notice: str = "",
    error: str = "",
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    states = service.by_id(members.member_states(session))
    return render(
        request,
        "capacity/need.html",
        {
            "need": need,
            "state": states.get(need.state_id),
            "states": states,
            "history": service.need_history(session, need),
            "supports": service.support_for_need(session, need),
            "may_change": service.records_for(user, need.state_id),
            "may_support": service.may_record_support(user) and need.status != "withdrawn",
            "notice": NOTICES.get(notice),
            "error": error,
            "values": values or {},
        },
        status_code=status,
    )


@router.get("/needs/{need_id}", response_class=HTMLResponse)
def need_page(
    request: Request, need: NeedFromPath, session: SessionDep, user: CurrentUser, notice: str = ""
) -> HTMLResponse:
    """One need: its details, its history and the support given against it."""
    return _need_page(request, session, user, need, notice=notice)


@router.post("/needs/{need_id}/status", response_model=None)
def need_status(
    request: Request, user: Member, need: NeedFromPath, session: SessionDep, status: Text = "", note: Text = ""
) -> Response:
    """Changes a need's status (open, partly met, met, withdrawn), with an optional note."""
    return form_action(
        session,
        lambda: service.set_need_status(session, user=user, need=need, status=status, note=note),
        lambda _: RedirectResponse(f"/needs/{need.id}?notice=need_status", status_code=303),
        lambda message, code: _need_page(
            request, session, user, need, error=message, values={"status": status, "note": note}, status=code
        ),
    )


# Support


def _support_form_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    states = members.member_states(session)
    offers = [row.offer for row in training.catalogue(session, user=user, filters=training.Filters())]
    own = (
        next((s for s in states if s.id == user.member_state_id), None) if user.role == Role.focal_point.value else None
    )
    return render(
        request,
        "capacity/support_form.html",
        {
            "values": values or {},
            "error": error,
            "states": states,
            "needs": queries.open_needs(session),
            "offers": offers,
            "chooses_provider": user.role in service.STAFF,
            "own_state": own,
            "initial_statuses": service.FIRST_SUPPORT_STATUSES,
        },
        status_code=status,
    )


@router.get("/support/new", response_class=HTMLResponse)
def new_support(request: Request, session: SessionDep, user: Partner, need: str = "") -> HTMLResponse:
    """The form to record support; `?need=ID` fills in the need, its state, area and track."""
    values: dict[str, Any] = {}
    if need.isdigit():
        chosen = queries.get_need(session, int(need))
        state = members.state(session, chosen.state_id)
        values = {
            "need": str(chosen.id),
            "recipient_state": state.code if state else "",
            "area": chosen.area,
            "track": chosen.track,
        }
    return _support_form_page(request, session, user, values=values)


@router.post("/support", response_model=None)
def record_support(
    request: Request,
    session: SessionDep,
    user: Partner,
    recipient_state: Text = "",
    need: Text = "",
    area: Text = "",
    track: Text = "",
    starts_on: Text = "",
    ends_on: Text = "",
    kind: Text = "",
    amount: Text = "",
    currency: Text = "",
    status: Text = "planned",
    description: Text = "",
    training_offer: Text = "",
    provider_state: Text = "",
    provider_organisation: Text = "",
) -> Response:
    """Records support the user's side gives or plans."""
    form = service.SupportForm(
        recipient_state=recipient_state,
        need=need,
        area=area,
        track=track,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        amount=amount,
        currency=currency,
        status=status,
        description=description,
        training_offer=training_offer,
        provider_state=provider_state,
        provider_organisation=provider_organisation,
    )
    return form_action(
        session,
        lambda: service.record_support(session, user=user, form=form),
        lambda support: RedirectResponse(f"/support/{support.id}?notice=support_recorded", status_code=303),
        lambda message, status: _support_form_page(
            request, session, user, values=vars(form), error=message, status=status
        ),
    )


def _support_page(
    request: Request,
    session: SessionDep,
    user: User,
    support: Support,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    states = service.by_id(members.member_states(session))
    provides = service.provides(user, support)
    return render(
        request,
        "capacity/support.html",
        {
            "support": support,
            "states": states,
            "recipient": states.get(support.recipient_state_id),
            "provider": service.provider_name(support, states, current_language.get()),
            "need": queries.need(session, support.need_id),
            "offer": service.visible_offer(session, support, user),
            "history": service.support_history(session, support),
            "next_statuses": service.next_support_statuses(support) if provides else (),
            "notice": NOTICES.get(notice),
            "error": error,
        },
        status_code=status,
    )


@router.get("/support/{support_id}", response_class=HTMLResponse)
def support_page(
    request: Request, support: SupportFromPath, session: SessionDep, user: CurrentUser, notice: str = ""
) -> HTMLResponse:
    """One support record: who gives what to whom, when, against which need, and its history."""
    return _support_page(request, session, user, support, notice=notice)


@router.post("/support/{support_id}/status", response_model=None)
def support_status(
    request: Request, user: Partner, support: SupportFromPath, session: SessionDep, status: Text = "", note: Text = ""
) -> Response:
    """Moves support along its life: under way, completed or cancelled."""
    return form_action(
        session,
        lambda: service.set_support_status(session, user=user, support=support, status=status, note=note),
        lambda _: RedirectResponse(f"/support/{support.id}?notice=support_status", status_code=303),
        lambda message, code: _support_page(request, session, user, support, error=message, status=code),
    )


# Deconfliction


@router.get("/deconfliction", response_class=HTMLResponse)
def deconfliction(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    track: str = "",
    subregion: str = "",
    provider: str = "",
    overlaps_page: str = "",
    gaps_page: str = "",
) -> HTMLResponse:
    """States × areas: open needs, who supports what, overlapping support and needs left without support; the
    overlaps and the gaps a page at a time each."""
    language = current_language.get()
    gaps_number = paging.page_number(gaps_page)
    view = service.deconfliction(
        session,
        get_settings(),
        track=track,
        subregion=subregion,
        provider=provider[:120],
        today=service.today_for(user),
        language=language,
        gaps_page=gaps_number,
    )
    overlaps, overlap_pages = paging.window(
        request, view.overlaps, paging.page_number(overlaps_page), name="overlaps_page", anchor="overlaps"
    )
    gaps, gap_pages = paging.cut(request, view.gaps, gaps_number, name="gaps_page", anchor="gaps")
    return render(
        request,
        "capacity/deconfliction.html",
        {
            "view": view,
            "overlaps": overlaps,
            "overlap_pages": overlap_pages,
            "gaps": gaps,
            "gap_pages": gap_pages,
            "filters": {"track": track, "subregion": subregion, "provider": provider[:120]},
            "subregions": _subregions(),
            "areas": AREAS,
        },
        partial="capacity/_deconfliction.html",
    )


@router.get("/deconfliction.csv", response_model=None)
def deconfliction_csv(
    session: SessionDep, user: Coordinator, track: str = "", subregion: str = "", provider: str = ""
) -> Response:
    """The deconfliction view's rows as a CSV file, with the same filters."""
    language = current_language.get()
    view = service.deconfliction(
        session,
        get_settings(),
        track=track,
        subregion=subregion,
        provider=provider[:120],
        today=service.today_for(user),
        language=language,
        gaps_page=None,
    )
    text = service.deconfliction_csv(view, language=language, subregion_names=_subregions())
    return csv_response(text, "deconfliction.csv")
