"""The second factor's pages: the code asked after the password, setting up an authenticator app (with its recovery
codes), removing it, and an admin's reset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.auth import passkeys, second_factor, service
from app.auth.deps import (
    SESSION_COOKIE,
    AdminUser,
    CurrentUser,
    EnrollingUser,
    PendingUser,
    UserFromPath,
    VisitorDep,
    client_address,
    cookie,
    public,
)
from app.auth.models import User
from app.auth.responses import landing, signed_in_response
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.edge import writes_on_get
from app.core.errors import DomainError
from app.core.i18n import N_, gettext
from app.core.web import CONFIRMED, Confirmation, confirm_first, error_text, render, safe_next

router = APIRouter()
Text = Annotated[str, Form(max_length=4096)]


def _complete(
    request: Request, session: SessionDep, visitor: service.Visitor, user: User, response: Response
) -> Response:
    """Turns a session waiting for its second factor into a complete one, with a new token."""
    if visitor.pending is None:
        return response
    token = service.start_session(
        session,
        user=user,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
        replaces=visitor.auth_session,
    )
    response.set_cookie(
        cookie(SESSION_COOKIE), token, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/"
    )
    return response


def _target(user: User, next: str) -> str:
    return landing(user, safe_next(next, default="/dashboard"))


# The step after the password


def _challenge(request: Request, session: SessionDep, user: User, next: str, **context: object) -> HTMLResponse:
    status = int(str(context.pop("status", 200)))
    values = {
        "next": safe_next(next, default=""),
        "totp": second_factor.has_totp(session, user),
        "passkey": second_factor.has_passkey(session, user),
        "recovery": second_factor.remaining_recovery_codes(session, user) > 0,
        "passkeys_reachable": passkeys.relying_party(get_settings()) is not None,
    }
    return render(request, "auth/second_factor.html", {**values, **context}, status_code=status)


@router.get("/auth/second-factor", response_model=None)
def challenge(request: Request, session: SessionDep, user: PendingUser, next: str = "") -> Response:
    """Asks for a code of the authenticator app, or a recovery code."""
    if not second_factor.has_factor(session, user):
        return RedirectResponse("/account/second-factor?next=" + safe_next(next, default=""), status_code=303)
    return _challenge(request, session, user, next)


@router.post("/auth/second-factor", response_model=None)
def check_code(
    request: Request, session: SessionDep, visitor: VisitorDep, user: PendingUser, code: Text = "", next: Text = ""
) -> Response:
    """Completes the sign-in with a current code of the authenticator app."""
    try:
        second_factor.check_code(session, get_settings(), user=user, code=code, address=client_address(request))
    except DomainError as error:
        return _challenge(request, session, user, next, code_error=error_text(error), status=error.status_code)
    return _complete(request, session, visitor, user, RedirectResponse(_target(user, next), status_code=303))


@router.post("/auth/second-factor/recovery", response_model=None)
def use_recovery_code(
    request: Request,
    session: SessionDep,
    visitor: VisitorDep,
    user: PendingUser,
    recovery_code: Text = "",
    next: Text = "",
) -> Response:
    """Completes the sign-in with a recovery code, used up, and says how many remain."""
    try:
        remaining = second_factor.use_recovery_code(
            session, get_settings(), user=user, code=recovery_code, address=client_address(request)
        )
    except DomainError as error:
        return _challenge(request, session, user, next, recovery_error=error_text(error), status=error.status_code)
    page = render(request, "auth/recovery_used.html", {"remaining": remaining, "target": _target(user, next)})
    return _complete(request, session, visitor, user, page)


# Setting up, looking at and removing the authenticator app


def _factor_page(request: Request, session: SessionDep, user: User, next: str, **context: object) -> HTMLResponse:
    status = int(str(context.pop("status", 200)))
    settings = get_settings()
    enrolled = second_factor.has_totp(session, user)
    values: dict[str, object] = {
        "enrolled": enrolled,
        "passkeys": passkeys.passkeys_of(session, user),
        "passkeys_reachable": passkeys.relying_party(settings) is not None,
        "time_zone": user.time_zone,
        "must": second_factor.must_use(settings, user),
        "pending": request.state.visitor.pending is not None,
        "next": safe_next(next, default=""),
    }
    values["remaining"] = second_factor.remaining_recovery_codes(session, user)
    if not enrolled:
        values["secret"] = second_factor.enrolment_secret(session, settings, user=user)
    return render(request, "auth/factor.html", {**values, **context}, status_code=status)


NOTICES = {
    "passkey-added": N_("The passkey has been added."),
    "passkey-removed": N_("The passkey has been removed."),
}


# Their first view stores the secret being set up.
writes_on_get("/account/second-factor", "/account/second-factor/qr.svg")


@router.get("/account/second-factor", response_model=None)
def factor(request: Request, session: SessionDep, user: EnrollingUser, next: str = "", notice: str = "") -> Response:
    """Setting up an authenticator app (QR code and secret as text), or the one set up and its recovery codes; the
    account's passkeys."""
    if request.state.visitor.pending is not None and second_factor.has_factor(session, user):
        return RedirectResponse("/auth/second-factor?next=" + safe_next(next, default=""), status_code=303)
    return _factor_page(request, session, user, next, notice=NOTICES.get(notice))


@router.get("/account/second-factor/qr.svg", response_model=None)
def factor_qr(session: SessionDep, user: EnrollingUser) -> Response:
    """The QR code of the secret being set up, drawn on the server."""
    settings = get_settings()
    secret = second_factor.enrolment_secret(session, settings, user=user)
    svg = second_factor.qr_svg(second_factor.provisioning_uri(settings, user=user, secret=secret))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/account/second-factor", response_model=None)
def confirm_factor(
    request: Request, session: SessionDep, visitor: VisitorDep, user: EnrollingUser, code: Text = "", next: Text = ""
) -> Response:
    """Confirms the authenticator app with a first code and shows the ten recovery codes, once."""
    try:
        codes = second_factor.confirm_enrolment(session, get_settings(), user=user, code=code)
    except DomainError as error:
        return _factor_page(request, session, user, next, code_error=error_text(error), status=error.status_code)
    target = _target(user, next) if visitor.pending is not None else "/account/second-factor"
    page = render(request, "auth/recovery_codes.html", {"codes": codes, "target": target, "app": True})
    return _complete(request, session, visitor, user, page)


@router.post("/account/second-factor/recovery-codes", response_model=None)
def renew_recovery_codes(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Ten new recovery codes, shown once; the earlier ones stop working."""
    try:
        codes = second_factor.renew_recovery_codes(session, get_settings(), user=user)
    except DomainError as error:
        return _factor_page(request, session, user, "", remove_error=error_text(error), status=error.status_code)
    return render(
        request,
        "auth/recovery_codes.html",
        {
            "codes": codes,
            "target": "/account/second-factor",
            "renewed": True,
            "app": second_factor.has_totp(session, user),
        },
    )


@router.post("/account/second-factor/remove", response_model=None)
def remove_factor(request: Request, session: SessionDep, visitor: VisitorDep, user: CurrentUser) -> Response:
    """Removes one's own authenticator app and recovery codes (when one's role need not use them)."""
    try:
        second_factor.remove(session, get_settings(), user=user, keep=visitor.auth_session)
    except DomainError as error:
        return _factor_page(request, session, user, "", remove_error=error_text(error), status=error.status_code)
    return RedirectResponse("/account?notice=second-factor-removed", status_code=303)


@router.post("/admin/users/{user_id}/second-factor", response_model=None)
def reset_factor(target: UserFromPath, session: SessionDep, admin: AdminUser) -> Response:
    """Resets another account's second factor: removed, owner emailed and signed out everywhere."""
    second_factor.reset(session, get_settings(), user=target, actor_id=service.account_id(admin))
    return RedirectResponse(f"/admin/users/{target.id}?notice=second-factor-reset", status_code=303)


# Passkeys: the browser asks for options, then posts what the authenticator answered (static/js/passkeys.js)


async def json_body(request: Request) -> object:
    """The request's JSON body, or None when it is not JSON."""
    return passkeys.parse_json(await request.body())


JsonBody = Annotated[object, Depends(json_body)]


def _field(body: object, name: str) -> object:
    return body.get(name) if isinstance(body, dict) else None


def _options(make: Callable[[], str]) -> Response:
    try:
        return Response(make(), media_type="application/json", headers={"Cache-Control": "no-store"})
    except DomainError as error:
        return JSONResponse({"error": error_text(error)}, status_code=error.status_code)


def _refused(error: DomainError) -> JSONResponse:
    return JSONResponse({"error": error_text(error)}, status_code=error.status_code)


def _binding(request: Request) -> str:
    return passkeys.binding_of(request.state.csrf_token)


@router.post("/account/passkeys/options", response_model=None)
def passkey_registration_options(request: Request, session: SessionDep, user: EnrollingUser) -> Response:
    """The options to create a passkey for this account (JSON, for navigator.credentials.create)."""
    return _options(
        lambda: passkeys.registration_options(session, get_settings(), user=user, binding=_binding(request))
    )


@router.post("/account/passkeys", response_model=None)
def add_passkey(
    request: Request, session: SessionDep, visitor: VisitorDep, user: EnrollingUser, body: JsonBody
) -> Response:
    """Adds the passkey the browser created; a sign-in waiting for its second factor is complete with it."""
    try:
        passkeys.register(
            session,
            get_settings(),
            user=user,
            binding=_binding(request),
            name=_field(body, "name"),
            credential=_field(body, "credential"),
        )
    except DomainError as error:
        return _refused(error)
    if visitor.pending is None:
        return JSONResponse({"redirect": "/account/second-factor?notice=passkey-added"})
    next = _field(body, "next")
    target = _target(user, next if isinstance(next, str) else "")
    return _complete(request, session, visitor, user, JSONResponse({"redirect": target}))


@router.post("/account/passkeys/{passkey_id}/remove", response_model=None)
def remove_passkey(
    request: Request, session: SessionDep, user: CurrentUser, passkey_id: int, confirmed: Text = ""
) -> Response:
    """Removes one of one's own passkeys, once confirmed."""
    own = {passkey.id: passkey for passkey in passkeys.passkeys_of(session, user)}
    if confirmed != CONFIRMED and passkey_id in own:
        return confirm_first(
            request,
            Confirmation(
                question=gettext("Remove the passkey %(name)s?") % {"name": own[passkey_id].name},
                consequence=gettext(
                    "It can no longer sign you in. The device keeps its copy until you delete it there too."
                ),
                told=[user.email],
                button=gettext("Remove the passkey"),
                action=f"/account/passkeys/{passkey_id}/remove",
                back="/account/second-factor",
            ),
        )
    try:
        passkeys.remove(session, get_settings(), user=user, passkey_id=passkey_id)
    except DomainError as error:
        return _factor_page(request, session, user, "", passkey_error=error_text(error), status=error.status_code)
    return RedirectResponse("/account/second-factor?notice=passkey-removed", status_code=303)


@router.post("/auth/second-factor/passkey/options", response_model=None)
def passkey_challenge_options(request: Request, session: SessionDep, user: PendingUser) -> Response:
    """The options to use one of this account's passkeys as the second factor (JSON)."""
    return _options(
        lambda: passkeys.authentication_options(session, get_settings(), binding=_binding(request), user=user)
    )


@router.post("/auth/second-factor/passkey", response_model=None)
def check_passkey(
    request: Request, session: SessionDep, visitor: VisitorDep, user: PendingUser, body: JsonBody
) -> Response:
    """Completes the sign-in with one of the account's passkeys."""
    try:
        passkeys.check_second_factor(
            session,
            get_settings(),
            user=user,
            binding=_binding(request),
            credential=_field(body, "credential"),
            address=client_address(request),
        )
    except DomainError as error:
        return _refused(error)
    next = _field(body, "next")
    target = _target(user, next if isinstance(next, str) else "")
    return _complete(request, session, visitor, user, JSONResponse({"redirect": target}))


@router.post("/auth/passkey/options", dependencies=[Depends(public)], response_model=None)
def passkey_sign_in_options(request: Request, session: SessionDep) -> Response:
    """The options to sign in with a passkey alone (JSON; any passkey of this portal)."""
    return _options(
        lambda: passkeys.authentication_options(session, get_settings(), binding=_binding(request), user=None)
    )


@router.post("/auth/passkey", dependencies=[Depends(public)], response_model=None)
def passkey_sign_in(request: Request, session: SessionDep, visitor: VisitorDep, body: JsonBody) -> Response:
    """Signs in with a passkey alone: a discoverable credential with user verification is two factors."""
    try:
        user = passkeys.sign_in(
            session,
            get_settings(),
            binding=_binding(request),
            credential=_field(body, "credential"),
            address=client_address(request),
        )
    except DomainError as error:
        return _refused(error)
    token = service.start_session(
        session,
        user=user,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
        replaces=visitor.auth_session,
    )
    next = _field(body, "next")
    redirect = signed_in_response(token, _target(user, next if isinstance(next, str) else ""))
    response = JSONResponse({"redirect": redirect.headers["location"]})
    response.headers["set-cookie"] = redirect.headers["set-cookie"]
    return response
