"""The answers that open a session or remember a choice: where a sign-in leads, the session cookie, the language
cookie. Shared by the sign-in routes, the second factor's routes and a focal point's invitation."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from app.auth import second_factor, service
from app.auth.deps import LANGUAGE_COOKIE, SESSION_COOKIE, client_address, cookie
from app.auth.models import User
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.web import safe_next


def landing(user: User, asked: str | None) -> str:
    """Where a sign-in leads: the page asked for, else the dashboard; through the welcome page until the person
    has confirmed their time zone and language."""
    target = safe_next(asked, default="/dashboard")
    if user.preferences_confirmed_at is None:
        return "/welcome?" + urlencode({"next": target})
    return target


def signed_in_response(token: str, target: str) -> RedirectResponse:
    """Redirects with the new session's cookie."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        cookie(SESSION_COOKIE), token, httponly=True, samesite="lax", secure=get_settings().secure_cookies, path="/"
    )
    return response


def second_factor_step(user: User, target: str, *, enrolled: bool) -> str:
    """Where a sign-in waiting for its second factor goes: the code page, or setting one up when it has none."""
    page = "/auth/second-factor" if enrolled else "/account/second-factor"
    return page + "?" + urlencode({"next": target})


def open_session(
    request: Request,
    session: SessionDep,
    visitor: service.Visitor,
    user: User,
    target: str,
    *,
    provider_mfa: bool = False,
) -> RedirectResponse:
    """Opens the session of a sign-in whose first step passed: complete, or waiting for the second factor when the
    account has one or its role must have one."""
    settings = get_settings()
    pending = second_factor.due(session, settings, user, provider_mfa=provider_mfa)
    token = service.start_session(
        session,
        user=user,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
        replaces=visitor.auth_session,
        pending=pending,
    )
    if pending:
        target = second_factor_step(user, target, enrolled=second_factor.has_factor(session, user))
    return signed_in_response(token, target)


def remember_language(response: Response, language: str) -> None:
    """Keeps the chosen language in a cookie, for the pages shown before signing in."""
    response.set_cookie(
        cookie(LANGUAGE_COOKIE),
        language,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )
