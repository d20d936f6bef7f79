"""Sign-in and sign-out, password reset, one-time links, single sign-on, the welcome page, admin of accounts."""

from __future__ import annotations

from typing import Annotated

import httpx
from authlib.integrations.base_client.errors import OAuthError
from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError

from app.auth import passkeys, queries, second_factor, service, sso
from app.auth.deps import (
    SESSION_COOKIE,
    AdminUser,
    CurrentUser,
    EnrollingUser,
    UserFromPath,
    VisitorDep,
    client_address,
    cookie,
    public,
)
from app.auth.models import Role, User
from app.auth.responses import landing, open_session, remember_language, second_factor_step, signed_in_response
from app.core import region
from app.core.config import LANGUAGES, get_settings
from app.core.db import SessionDep, get_engine, writes
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.i18n import N_, gettext
from app.core.web import CONFIRMED, Confirmation, confirm_first, error_text, render, safe_next
from app.members import queries as members

router = APIRouter()
Text = Annotated[str, Form(max_length=4096)]

NOTICES = {
    "password-changed": N_("Your password has been changed. Please sign in."),
    "signed-out": N_("You have signed out."),
    "account-created": N_("The account has been created and a sign-in link sent by email."),
    "sessions-ended": N_("All sessions of this account have ended."),
    "account-updated": N_("The account has been updated."),
    "link-sent": N_("A new sign-in link has been sent; the earlier one no longer works."),
    "second-factor-reset": N_("The second factor has been reset: the owner is signed out everywhere and emailed."),
}


def _notice(key: str | None) -> str | None:
    return NOTICES.get(key or "")


# Sign-in and sign-out


@router.get("/auth/sign-in", dependencies=[Depends(public)], response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "", notice: str | None = None) -> HTMLResponse:
    """The sign-in form, with single sign-on when configured."""
    return render(
        request,
        "auth/sign_in.html",
        {
            "next": safe_next(next, default=""),
            "notice": _notice(notice),
            "sso": get_settings().sso_enabled,
            "sso_label": get_settings().oidc_label,
            "passkeys_reachable": passkeys.relying_party(get_settings()) is not None,
        },
    )


@router.post("/auth/sign-in", dependencies=[Depends(public)], response_model=None)
def sign_in(
    request: Request, session: SessionDep, visitor: VisitorDep, email: Text = "", password: Text = "", next: Text = ""
) -> Response:
    """Checks the password and opens a new session (the token changes at every sign-in)."""
    try:
        user = service.authenticate(
            session, get_settings(), email=email, password=password, address=client_address(request)
        )
    except DomainError as error:
        return render(
            request,
            "auth/sign_in.html",
            {
                "error": error_text(error),
                "email": email[:254],
                "next": safe_next(next, default=""),
                "sso": get_settings().sso_enabled,
                "sso_label": get_settings().oidc_label,
                "passkeys_reachable": passkeys.relying_party(get_settings()) is not None,
            },
            status_code=error.status_code,
        )
    return open_session(request, session, visitor, user, landing(user, next))


@router.post("/auth/sign-out", response_class=RedirectResponse)
def sign_out(session: SessionDep, visitor: VisitorDep, user: EnrollingUser) -> RedirectResponse:
    """Ends this session on the server and forgets the cookie."""
    assert visitor.auth_session is not None
    service.end_session(session, auth_session=visitor.auth_session)
    response = RedirectResponse("/auth/sign-in?notice=signed-out", status_code=303)
    response.delete_cookie(cookie(SESSION_COOKIE), path="/", secure=get_settings().secure_cookies)
    return response


# Password reset


@router.get("/auth/reset", dependencies=[Depends(public)], response_class=HTMLResponse)
def reset_request_form(request: Request) -> HTMLResponse:
    """Asks for the email address to send a reset link to."""
    return render(request, "auth/reset_request.html")


@router.post("/auth/reset", dependencies=[Depends(public)], response_class=HTMLResponse)
def reset_request(request: Request, session: SessionDep, email: Text = "") -> HTMLResponse:
    """Sends a reset link if the account exists; the answer is the same either way."""
    if "@" not in email or len(email) > 254:
        return render(
            request,
            "auth/reset_request.html",
            {"error": error_text(DomainError(N_("Enter a valid email address."))), "email": email[:254]},
            status_code=400,
        )
    service.request_password_reset(
        session, get_settings(), email=email, language=request.state.language, address=client_address(request)
    )
    return render(request, "auth/reset_sent.html")


@router.get("/auth/reset/{token}", dependencies=[Depends(public)], response_class=HTMLResponse)
def reset_form(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """The new-password form behind an emailed link, if the link still works."""
    _, user = service.peek_token(session, token=token, purpose="reset")
    return render(request, "auth/reset_form.html", {"email": user.email, "token": token})


@router.post("/auth/reset/{token}", dependencies=[Depends(public)], response_model=None)
def reset(request: Request, token: str, session: SessionDep, password: Text = "", confirm: Text = "") -> Response:
    """Sets the new password, uses up the link and ends every session of the account."""
    _, user = service.peek_token(session, token=token, purpose="reset")
    try:
        if password != confirm:
            raise DomainError(N_("The two passwords are not the same."))
        service.reset_password(session, token=token, new=password)
    except DomainError as error:
        return render(
            request,
            "auth/reset_form.html",
            {"email": user.email, "token": token, "error": error_text(error)},
            status_code=400,
        )
    return RedirectResponse("/auth/sign-in?notice=password-changed", status_code=303)


# One-time sign-in links


@router.get("/auth/link/{token}", dependencies=[Depends(public)], response_class=HTMLResponse)
def link_form(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """Confirms before using a sign-in link, so that mail scanners opening it do not use it up."""
    _, user = service.peek_token(session, token=token, purpose="signin")
    return render(request, "auth/link.html", {"email": user.email, "token": token})


@router.post("/auth/link/{token}", dependencies=[Depends(public)], response_class=RedirectResponse)
def use_link(request: Request, token: str, session: SessionDep, visitor: VisitorDep) -> RedirectResponse:
    """Signs in with a one-time link, then asks for a password."""
    user = service.consume_token(session, token=token, purpose="signin")
    return open_session(
        request, session, visitor, user, landing(user, None if user.password_hash else "/account?notice=set-password")
    )


# Single sign-on

PROVIDER_DOWN = N_("The single sign-on provider does not answer. Try again later, or sign in with your password.")


@router.get("/auth/sso/start", dependencies=[Depends(public)], response_model=None)
async def sso_start(request: Request, next: str = "") -> Response:
    """Sends the browser to the identity provider."""
    settings = get_settings()
    if not settings.sso_enabled:
        raise NotFound(N_("Single sign-on is not configured on this portal."))
    request.session["next"] = safe_next(next, default="")
    try:
        redirect: Response = await sso.client(settings).authorize_redirect(
            request, f"{settings.base_url}/auth/sso/callback"
        )
    except httpx.HTTPError:
        raise DomainError(PROVIDER_DOWN, status_code=502) from None
    return redirect


@router.get("/auth/sso/callback", dependencies=[Depends(public)], response_model=None)
async def sso_callback(request: Request, visitor: VisitorDep) -> Response:
    """Checks the provider's answer (state, code with PKCE, ID token and nonce) and signs in the linked account."""
    settings = get_settings()
    if not settings.sso_enabled:
        raise NotFound(N_("Single sign-on is not configured on this portal."))
    try:
        token = await sso.client(settings).authorize_access_token(request)
    except (OAuthError, JoseError):
        # JoseError: the ID token's signature, issuer, audience, nonce or expiry did not check out.
        raise Forbidden(N_("Single sign-on did not succeed. Try again, or sign in with your password.")) from None
    except httpx.HTTPError:
        raise DomainError(PROVIDER_DOWN, status_code=502) from None
    claims = sso.claims(token)
    session_token, target = await run_in_threadpool(
        _sso_sign_in,
        settings.oidc_issuer,
        claims,
        client_address(request),
        request.headers.get("user-agent", ""),
        visitor,
        request.session.pop("next", ""),
    )
    return signed_in_response(session_token, target)


def _sso_sign_in(
    issuer: str, claims: dict[str, object], address: str, user_agent: str, visitor: service.Visitor, asked: str
) -> tuple[str, str]:
    """Signs in the SSO identity's account; returns the new session's token and where to land."""
    from sqlmodel import Session

    # The provider sends the visitor back with a GET, and this writes: on SQLite its transaction takes the write lock
    # as it begins, as those of POSTs do, or sign-ons returning at the same moment find the database locked.
    with writes(), Session(get_engine(), expire_on_commit=False) as session:
        user = service.sso_account(
            session,
            issuer=issuer,
            subject=str(claims.get("sub", "")),
            email=str(claims["email"]) if claims.get("email") else None,
            email_verified=claims.get("email_verified") is True,
        )
        settings = get_settings()
        pending = second_factor.due(
            session, settings, user, provider_mfa=second_factor.provider_did_mfa(settings, claims)
        )
        token = service.start_session(
            session,
            user=user,
            address=address,
            user_agent=user_agent,
            replaces=session.merge(visitor.auth_session) if visitor.auth_session else None,
            pending=pending,
        )
        target = landing(user, asked)
        if pending:
            target = second_factor_step(user, target, enrolled=second_factor.has_factor(session, user))
        return token, target


# Language and account


@router.post("/language", dependencies=[Depends(public)], response_class=RedirectResponse)
def choose_language(
    request: Request, session: SessionDep, visitor: VisitorDep, language: Text = "en", next: Text = "/"
) -> RedirectResponse:
    """Switches the language of the pages (and of the account's emails when signed in)."""
    if language not in LANGUAGES:
        language = get_settings().default_language
    if visitor.user is not None:
        service.set_language(session, user=visitor.user, language=language)
    response = RedirectResponse(safe_next(next), status_code=303)
    remember_language(response, language)
    return response


# First sign-in


def _welcome_page(request: Request, session: SessionDep, user: User, **context: object) -> HTMLResponse:
    status = int(str(context.pop("status", 200)))
    state = members.state(session, user.member_state_id)
    return render(
        request,
        "auth/welcome.html",
        {"zones": region.time_zones(get_settings().seeds_dir), "state": state, **context},
        status_code=status,
    )


@router.get("/welcome", response_class=HTMLResponse)
def welcome(request: Request, session: SessionDep, user: CurrentUser, next: str = "") -> HTMLResponse:
    """At first sign-in: the person confirms the time zone and language the portal uses for them."""
    return _welcome_page(
        request,
        session,
        user,
        next=safe_next(next, default="/dashboard"),
        values={"language": user.language, "time_zone": user.time_zone},
    )


@router.post("/welcome", response_model=None)
def confirm_welcome(
    request: Request, session: SessionDep, user: CurrentUser, language: Text = "", time_zone: Text = "", next: Text = ""
) -> Response:
    """Records the confirmed time zone and language, then goes on to the page the person was going to."""
    target = safe_next(next, default="/dashboard")
    try:
        service.confirm_preferences(session, user=user, language=language, time_zone=time_zone.strip())
    except DomainError as error:
        return _welcome_page(
            request,
            session,
            user,
            next=target,
            values={"language": language, "time_zone": time_zone[:64]},
            error=error_text(error),
            status=error.status_code,
        )
    response = RedirectResponse(target, status_code=303)
    remember_language(response, language)
    return response


# Admin of accounts


def _users_page(request: Request, session: SessionDep, **context: object) -> HTMLResponse:
    status = int(str(context.pop("status", 200)))
    return render(
        request,
        "auth/users.html",
        {
            "users": queries.list_users(session),
            "roles": list(Role),
            "states": members.member_states(session),
            **context,
        },
        status_code=status,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, session: SessionDep, admin: AdminUser, notice: str | None = None) -> HTMLResponse:
    """Every account, its role and its open sessions."""
    return _users_page(request, session, notice=_notice(notice))


def _state_id(value: str) -> int | None:
    """The member state chosen in an account form: None when none is, -1 (no such state) when the value is wrong."""
    if not value.strip():
        return None
    return int(value) if value.strip().isdigit() else -1


@router.post("/admin/users", response_model=None)
def create_user(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    email: Text = "",
    display_name: Text = "",
    role: Text = "",
    member_state_id: Text = "",
    organisation: Text = "",
) -> Response:
    """Creates an account and emails its owner a one-time sign-in link."""
    try:
        service.invite_user(
            session,
            get_settings(),
            email=email,
            display_name=display_name,
            role=role,
            member_state_id=_state_id(member_state_id),
            organisation=organisation,
            actor_id=service.account_id(admin),
        )
    except DomainError as error:
        return _users_page(
            request,
            session,
            error=error_text(error),
            existing=error.account if isinstance(error, service.AccountExists) else None,
            status=error.status_code,
            form=_account_fields(email, display_name, role, member_state_id, organisation),
        )
    return RedirectResponse("/admin/users?notice=account-created", status_code=303)


def _account_fields(
    email: str, display_name: str, role: str, member_state_id: str, organisation: str
) -> dict[str, str]:
    """An account form's values as typed, kept to the lengths the fields take, to show again after a refusal."""
    return {
        "email": email[:254],
        "display_name": display_name[:120],
        "role": role,
        "member_state_id": member_state_id,
        "organisation": organisation[:120],
    }


def _admin_account_page(request: Request, session: SessionDep, target: User, **context: object) -> HTMLResponse:
    status = int(str(context.pop("status", 200)))
    return render(
        request,
        "auth/user.html",
        {
            "target": target,
            "roles": list(Role),
            "states": members.member_states(session),
            "awaits_first_sign_in": service.awaits_first_sign_in(target),
            "has_second_factor": second_factor.has_factor(session, target),
            **context,
        },
        status_code=status,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def account_form(
    request: Request, target: UserFromPath, session: SessionDep, admin: AdminUser, notice: str | None = None
) -> HTMLResponse:
    """One account: correct its name, email, role, state or organisation, or send its sign-in link again."""
    return _admin_account_page(request, session, target, notice=_notice(notice))


@router.post("/admin/users/{user_id}", response_model=None)
def update_account(
    request: Request,
    target: UserFromPath,
    session: SessionDep,
    admin: AdminUser,
    email: Text = "",
    display_name: Text = "",
    role: Text = "",
    member_state_id: Text = "",
    organisation: Text = "",
) -> Response:
    """Saves the corrected account; a new email or role signs it out everywhere."""
    try:
        service.update_account(
            session,
            user=target,
            actor_id=service.account_id(admin),
            email=email,
            display_name=display_name,
            role=role,
            member_state_id=_state_id(member_state_id),
            organisation=organisation,
        )
    except DomainError as error:
        return _admin_account_page(
            request,
            session,
            target,
            error=error_text(error),
            existing=error.account if isinstance(error, service.AccountExists) else None,
            status=error.status_code,
            form=_account_fields(email, display_name, role, member_state_id, organisation),
        )
    return RedirectResponse("/admin/users?notice=account-updated", status_code=303)


@router.post("/admin/users/{user_id}/sign-in-link", response_model=None)
def resend_sign_in_link(request: Request, target: UserFromPath, session: SessionDep, admin: AdminUser) -> Response:
    """Emails a new one-time sign-in link to an account whose owner has not signed in yet."""
    try:
        service.resend_sign_in_link(session, get_settings(), user=target, actor_id=service.account_id(admin))
    except DomainError as error:
        return _admin_account_page(request, session, target, link_error=error_text(error), status=error.status_code)
    return RedirectResponse(f"/admin/users/{target.id}?notice=link-sent", status_code=303)


@router.post("/admin/users/{user_id}/end-sessions", response_class=RedirectResponse)
def end_sessions(target: UserFromPath, session: SessionDep, admin: AdminUser) -> RedirectResponse:
    """Signs the account out everywhere."""
    service.end_all_sessions(session, user=target, actor_id=service.account_id(admin))
    return RedirectResponse("/admin/users?notice=sessions-ended", status_code=303)


@router.post("/admin/users/{user_id}/active", response_model=None)
def set_active(
    request: Request,
    target: UserFromPath,
    session: SessionDep,
    admin: AdminUser,
    active: Text = "",
    confirmed: Text = "",
) -> Response:
    """Deactivates (and signs out) once confirmed, or reactivates an account."""
    if active != "1" and confirmed != CONFIRMED and target.id != admin.id and target.is_active:
        return confirm_first(
            request,
            Confirmation(
                question=gettext("Deactivate the account of %(name)s?") % {"name": target.display_name},
                consequence=gettext(
                    "%(email)s is signed out everywhere and can no longer sign in; everything the account did stays, "
                    "and it can be reactivated."
                )
                % {"email": target.email},
                told=[],
                button=gettext("Deactivate the account"),
                action=f"/admin/users/{target.id}/active",
                back="/admin/users",
                fields={"active": "0"},
            ),
        )
    service.set_active(session, user=target, active=active == "1", actor_id=service.account_id(admin))
    return RedirectResponse("/admin/users?notice=account-updated", status_code=303)
