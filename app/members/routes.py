"""Member directory, state profiles, focal points and invitations, contributions and pledges."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as accounts
from app.auth.deps import LANGUAGE_COOKIE, Coordinator, CurrentUser, VisitorDep, cookie, public
from app.auth.models import User
from app.auth.responses import landing, open_session
from app.core import clock, region
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.forms import parse_day
from app.core.i18n import N_, current_language
from app.core.web import error_text, form_action, render
from app.governance import service as governance
from app.governance.models import TRACKS
from app.members import charts, queries, service
from app.members.models import (
    CATEGORIES,
    DEPLOYMENT_WINDOWS,
    PORTFOLIOS,
    READINESS_LEVELS,
    MemberState,
)

router = APIRouter()
Text = Annotated[str, Form(max_length=10_000)]

NOTICES = {
    "profile-saved": N_("The profile has been saved."),
    "contribution-saved": N_("The figures have been recorded."),
    "pledge-saved": N_("The pledge has been recorded."),
    "pledge-withdrawn": N_("The pledge has been withdrawn."),
    "invited": N_("The focal point has been invited by email."),
    "focal-point-saved": N_("The focal point's details have been saved."),
    "invitation-resent": N_("The invitation has been sent again."),
}


def state_from_path(code: str, session: SessionDep) -> MemberState:
    return queries.get_state(session, code)


StateFromPath = Annotated[MemberState, Depends(state_from_path)]


async def editable_state(state: StateFromPath, user: CurrentUser) -> MemberState:
    """The state in the path, if this user may act for it (before any form field is looked at)."""
    if not service.can_edit(user, state):
        raise Forbidden(N_("You can act only for your own state."))
    return state


EditableState = Annotated[MemberState, Depends(editable_state)]


@router.get("/members", response_class=HTMLResponse)
def member_directory(
    request: Request, session: SessionDep, user: CurrentUser, subregion: str = "", body: str = "", track: str = ""
) -> HTMLResponse:
    """States and territories, filtered by subregion, body and track."""
    settings = get_settings()
    rows = queries.directory(session, settings, user=user, subregion=subregion, body_key=body, track=track)
    bodies = [b for b, _ in governance.list_bodies(session, settings, user=None) if b.kind == "network"]
    return render(
        request,
        "members/page.html",
        {
            "rows": rows,
            "subregions": region.load(settings.seeds_dir).subregions,
            "tracks": TRACKS,
            "bodies": bodies,
            "filters": {"subregion": subregion, "body": body, "track": track},
            "heading": region.load(settings.seeds_dir).options[settings.governance_option].members_heading,
        },
        partial="members/_rows.html",
    )


def _profile_page(
    request: Request,
    session: SessionDep,
    user: User,
    state: MemberState,
    *,
    status: int = 200,
    notice: str | None = None,
    **forms: object,
) -> HTMLResponse:
    """The state's page; `forms` carries a refused form's error (and what it can offer instead) and what was typed
    in it."""
    settings = get_settings()
    profile = queries.state_profile(session, settings, state)
    return render(
        request,
        "members/detail.html",
        {
            "profile": profile,
            "can_edit": service.can_edit(user, state),
            "coordinates": governance.coordinates(user),
            "categories": CATEGORIES,
            "portfolios": PORTFOLIOS,
            "readiness_levels": READINESS_LEVELS,
            "windows": DEPLOYMENT_WINDOWS,
            "today": clock.today("UTC").isoformat(),
            "notice": NOTICES.get(notice or ""),
            "zones": region.time_zones(settings.seeds_dir),
            "sovereign": queries.sovereign_name(session, state, current_language.get()),
            "contribution_form": {},
            "pledge_form": {},
            **forms,
        },
        status_code=status,
    )


@router.get("/members/{code}", response_class=HTMLResponse)
def state_page(
    request: Request, state: StateFromPath, session: SessionDep, user: CurrentUser, notice: str | None = None
) -> HTMLResponse:
    """A state's memberships and since when, focal points, contributions and pledges."""
    return _profile_page(request, session, user, state, notice=notice)


def _done(state: MemberState, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/members/{state.code}?notice={notice}", status_code=303)


@router.post("/members/{code}/profile", response_model=None)
def save_profile(
    request: Request, state: EditableState, session: SessionDep, user: CurrentUser, profile: Text = ""
) -> Response:
    """A focal point (or coordinator) updates the state's description."""
    return form_action(
        session,
        lambda: service.update_profile(session, user=user, state=state, profile=profile),
        lambda _: _done(state, "profile-saved"),
        lambda message, status: _profile_page(request, session, user, state, status=status, profile_error=message),
    )


@router.post("/members/{code}/contributions", response_model=None)
def add_contribution(
    request: Request,
    state: EditableState,
    session: SessionDep,
    user: CurrentUser,
    as_of: Text = "",
    category: Text = "",
    men: Text = "0",
    women: Text = "0",
    unspecified: Text = "0",
    source: Text = "",
) -> Response:
    """Records the state's personnel in one category on one date."""
    return form_action(
        session,
        lambda: service.record_contribution(
            session,
            user=user,
            state=state,
            as_of=parse_day(as_of),
            category=category,
            men=men,
            women=women,
            unspecified=unspecified,
            source=source,
        ),
        lambda _: _done(state, "contribution-saved"),
        lambda message, status: _profile_page(
            request,
            session,
            user,
            state,
            status=status,
            contribution_error=message,
            contribution_form={
                "as_of": as_of[:40],
                "category": category,
                "men": men[:20],
                "women": women[:20],
                "unspecified": unspecified[:20],
                "source": source[:255],
            },
        ),
    )


@router.post("/members/{code}/pledges", response_model=None)
def add_pledge(
    request: Request,
    state: EditableState,
    session: SessionDep,
    user: CurrentUser,
    capability: Text = "",
    category: Text = "",
    personnel: Text = "0",
    readiness: Text = "",
    deployment_days: Text = "",
) -> Response:
    """Records a PCRS pledge."""
    return form_action(
        session,
        lambda: service.record_pledge(
            session,
            user=user,
            state=state,
            capability=capability,
            category=category,
            personnel=personnel,
            readiness=readiness,
            deployment_days=deployment_days,
        ),
        lambda _: _done(state, "pledge-saved"),
        lambda message, status: _profile_page(
            request,
            session,
            user,
            state,
            status=status,
            pledge_error=message,
            pledge_form={
                "capability": capability[:200],
                "category": category,
                "personnel": personnel[:20],
                "readiness": readiness,
                "deployment_days": deployment_days,
            },
        ),
    )


@router.post("/members/{code}/pledges/{pledge_id}/withdraw", response_class=RedirectResponse)
def withdraw_pledge(state: EditableState, pledge_id: int, session: SessionDep, user: CurrentUser) -> RedirectResponse:
    """Withdraws a pledge (it stays in the history)."""
    if queries.pledge_of(session, state, pledge_id) is None:
        raise NotFound(N_("No such pledge."))
    service.withdraw_pledge(session, user=user, pledge_id=pledge_id)
    return _done(state, "pledge-withdrawn")


@router.post("/members/{code}/focal-points", response_model=None)
def invite(
    request: Request,
    state: StateFromPath,
    session: SessionDep,
    user: Coordinator,
    email: Text = "",
    display_name: Text = "",
    portfolio: Text = "",
    position: Text = "",
    phone: Text = "",
    language: Text = "en",
    time_zone: Text = "",
) -> Response:
    """A coordinator invites a focal point of this state by email."""
    # Not form_action(): an address that already has an account offers to send its invitation again (error.account).
    try:
        service.invite_focal_point(
            session,
            get_settings(),
            user=user,
            state=state,
            email=email,
            display_name=display_name,
            portfolio=portfolio,
            position=position,
            phone=phone,
            language=language,
            time_zone=time_zone,
        )
    except DomainError as error:
        invited = error.account if isinstance(error, service.AlreadyInvited) else None
        return _profile_page(
            request, session, user, state, status=error.status_code, invite_error=error_text(error), resend=invited
        )
    return _done(state, "invited")


@router.post("/members/{code}/focal-points/{account_id}/invitation", response_model=None)
def resend_invitation(
    request: Request, state: StateFromPath, account_id: int, session: SessionDep, user: Coordinator
) -> Response:
    """Sends a focal point who has not signed in yet a new invitation link."""
    return form_action(
        session,
        lambda: service.resend_invitation(session, get_settings(), user=user, state=state, account_id=account_id),
        lambda _: _done(state, "invitation-resent"),
        lambda message, status: _profile_page(request, session, user, state, status=status, invite_error=message),
    )


@router.post("/members/{code}/focal-points/{account_id}", response_model=None)
def save_focal_point(
    request: Request,
    state: EditableState,
    account_id: int,
    session: SessionDep,
    user: CurrentUser,
    portfolio: Text = "",
    position: Text = "",
    phone: Text = "",
) -> Response:
    """Records a focal point's portfolio and contact details (own state, or a coordinator)."""
    return form_action(
        session,
        lambda: service.save_focal_point_details(
            session, user=user, state=state, account_id=account_id, portfolio=portfolio, position=position, phone=phone
        ),
        lambda _: _done(state, "focal-point-saved"),
        lambda message, status: _profile_page(request, session, user, state, status=status, focal_point_error=message),
    )


def _speak_invitees_language(request: Request, invited: User) -> None:
    """The invitation page speaks the language the coordinator chose for the invitee, unless the visitor
    has chosen one with the language switch."""
    if cookie(LANGUAGE_COOKIE) not in request.cookies:
        current_language.set(invited.language)
        request.state.language = invited.language


@router.get("/invitations/{token}", dependencies=[Depends(public)], response_class=HTMLResponse)
def invitation(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """The invitee chooses a password (or signs in with single sign-on)."""
    _, invited = accounts.peek_token(session, token=token, purpose="invite")
    _speak_invitees_language(request, invited)
    return render(
        request,
        "members/invitation.html",
        {"invited": invited, "token": token, "sso": get_settings().sso_enabled, "sso_label": get_settings().oidc_label},
    )


@router.post("/invitations/{token}", dependencies=[Depends(public)], response_model=None)
def accept(
    request: Request, token: str, session: SessionDep, visitor: VisitorDep, password: Text = "", confirm: Text = ""
) -> Response:
    """Sets the password, uses up the invitation and signs the focal point in."""
    _, invited = accounts.peek_token(session, token=token, purpose="invite")
    _speak_invitees_language(request, invited)
    # Not form_action(): the invitee reads every refusal on the invitation page, the one page open to them yet.
    try:
        if password != confirm:
            raise DomainError(N_("The two passwords are not the same."))
        invited = service.accept_invitation(session, token=token, password=password)
    except DomainError as error:
        return render(
            request,
            "members/invitation.html",
            {
                "invited": invited,
                "token": token,
                "sso": get_settings().sso_enabled,
                "sso_label": get_settings().oidc_label,
                "error": error_text(error),
            },
            status_code=error.status_code,
        )
    state = queries.state(session, invited.member_state_id)
    return open_session(
        request, session, visitor, invited, landing(invited, f"/members/{state.code}" if state else None)
    )


@router.get("/contributions", response_class=HTMLResponse)
def contributions(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """The region's personnel in UN operations over time, and women's share against the targets."""
    settings = get_settings()
    series = queries.region_series(session)
    shares = queries.women_shares(session, settings, request.state.language)
    return render(
        request,
        "members/contributions.html",
        {
            "series": series,
            "shares": shares,
            "series_chart": charts.series_chart(series),
            "share_chart": charts.share_chart(shares),
            "reports": queries.latest_reports(session),
            "states": queries.states_by_id(session),
            "categories": CATEGORIES,
            "source_names": region.load(settings.seeds_dir).sources,
        },
    )
