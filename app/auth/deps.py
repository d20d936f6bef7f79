"""Request dependencies: who is asking, in which language, with which CSRF token, and who may pass.

Every route declares its rule with one of `public`, `signed_in` or `require_role(...)`; create_app()
refuses to start when a route has none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from app.auth import queries, service
from app.auth.models import Role, User
from app.auth.service import Visitor
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import DomainError, Forbidden
from app.core.i18n import N_, current_language, pick_language

SESSION_COOKIE = "prcn_session"
ANON_COOKIE = "prcn_anon"
LANGUAGE_COOKIE = "prcn_lang"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
ONE_CLICK_UNSUBSCRIBE = "/unsubscribe/{token}"  # app.notifications.routes.UNSUBSCRIBE_PATH
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(DomainError):
    status_code = 401


class SecondFactorRequired(Forbidden):
    """A session whose password is done but whose second factor is still asked: only the second-factor pages."""


class CsrfRejected(Forbidden):
    """A state-changing request without this visitor's CSRF token."""


def csrf_token_for(binding: str) -> str:
    """The CSRF token of a session (or of an anonymous visitor's cookie), derived with the secret key."""
    key = get_settings().secret().encode()
    return hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def cookie(name: str) -> str:
    """A cookie's name: over https with the __Host- prefix, which keeps it to this host, to https and to path /."""
    return f"__Host-{name}" if get_settings().secure_cookies else name


def new_cookie(request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    """Asks the security middleware to set a cookie on whatever response this request gets."""
    cookies = request.scope.setdefault("state", {}).setdefault("new_cookies", [])
    cookies.append((cookie(name), value, max_age))


def resolve_visitor(request: Request, session: SessionDep) -> Visitor:
    """Loads the session behind the cookie and fixes the request's language and CSRF token."""
    settings = get_settings()
    visitor = service.load_visitor(session, settings, request.cookies.get(cookie(SESSION_COOKIE)))
    if visitor.auth_session is not None:
        binding = visitor.auth_session.csrf_secret
    else:
        binding = request.cookies.get(cookie(ANON_COOKIE), "")
        if len(binding) < 32:
            binding = secrets.token_urlsafe(32)
            new_cookie(request, ANON_COOKIE, binding)
    request.state.visitor = visitor
    request.state.db = session  # the request's session, for what every page shows (the navigation's count)
    request.state.csrf_token = csrf_token_for(binding)
    request.state.language = pick_language(
        visitor.user.language if visitor.user else None,
        request.cookies.get(cookie(LANGUAGE_COOKIE)),
        accept_language=request.headers.get("Accept-Language", ""),
        default=settings.default_language,
    )
    return visitor


VisitorDep = Annotated[Visitor, Depends(resolve_visitor)]


async def apply_language(request: Request, visitor: VisitorDep) -> None:
    """Sets the request's language here, in the request's own context, so the route's thread inherits it."""
    current_language.set(request.state.language)


async def verify_csrf(request: Request, visitor: VisitorDep) -> None:
    """Refuses a state-changing request without this visitor's token (header for htmx, field for forms)."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.method == "POST" and getattr(request.scope.get("route"), "path", None) == ONE_CLICK_UNSUBSCRIBE:
        # RFC 8058: a mail client unsubscribes with a POST that carries neither cookie nor CSRF token. Exempt is
        # exactly this route: the HMAC-signed token in its URL authenticates it, and all it can do is stop the
        # digest of the account the token names, which is what the link in that person's email offers anyway.
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, request.state.csrf_token):
        raise CsrfRejected(N_("This form has expired or did not come from this portal. Reload the page and try again."))


def _mark(rule: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__dict__["__access__"] = rule  # what main._access_rules reads back
        return function

    return decorate


@_mark("public")
async def public() -> None:
    """Anyone, signed in or not."""


SECOND_FACTOR_FIRST = N_("Finish signing in with your second factor first.")


def _refuse_pending(visitor: Visitor) -> None:
    if visitor.pending is not None:
        raise SecondFactorRequired(SECOND_FACTOR_FIRST)


@_mark("signed_in")
async def signed_in(visitor: VisitorDep) -> User:
    _refuse_pending(visitor)
    if visitor.user is None:
        raise SignInRequired(N_("Please sign in to see this page."))
    return visitor.user


@_mark("second_factor")
async def second_factor_pending(visitor: VisitorDep) -> User:
    """Only a session whose password is done and whose second factor is still asked."""
    if visitor.pending is None:
        if visitor.user is None:
            raise SignInRequired(N_("Please sign in to see this page."))
        raise Forbidden(N_("You are signed in already."))
    return visitor.pending


@_mark("signed_in_or_second_factor")
async def signed_in_or_pending(visitor: VisitorDep) -> User:
    """A signed-in account, or one still to pass its second factor (setting one up is how it passes)."""
    user = visitor.user or visitor.pending
    if user is None:
        raise SignInRequired(N_("Please sign in to see this page."))
    return user


def require_role(*roles: Role) -> Callable[..., User]:
    """A dependency that lets through only signed-in users with one of `roles`."""

    @_mark("roles:" + ",".join(sorted(roles)))
    async def check(visitor: VisitorDep) -> User:
        _refuse_pending(visitor)
        if visitor.user is None:
            raise SignInRequired(N_("Please sign in to see this page."))
        if visitor.user.role not in roles:
            raise Forbidden(N_("Your role does not give access to this page."))
        return visitor.user

    return check


CurrentUser = Annotated[User, Depends(signed_in)]
PendingUser = Annotated[User, Depends(second_factor_pending)]
EnrollingUser = Annotated[User, Depends(signed_in_or_pending)]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
# The one name for each set of roles a router lets through, shared by every router.
Coordinator = Annotated[User, Depends(require_role(Role.admin, Role.coordinator))]
Member = Annotated[User, Depends(require_role(Role.admin, Role.coordinator, Role.focal_point))]
Partner = Annotated[User, Depends(require_role(Role.admin, Role.coordinator, Role.focal_point, Role.observer))]
FocalPoint = Annotated[User, Depends(require_role(Role.focal_point))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def user_from_path(user_id: int, session: SessionDep) -> User:
    """The account in the path of an admin's page."""
    return queries.get_user(session, user_id)


UserFromPath = Annotated[User, Depends(user_from_path)]
