"""create_app(): routers, hashed static files, security headers, compression and the error handler."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit import routes as audit_routes
from app.auth import deps, factor_routes
from app.auth import routes as auth_routes
from app.auth.deps import SecondFactorRequired, SignInRequired
from app.auth.models import User
from app.capacity import routes as capacity_routes
from app.coalitions import routes as coalition_routes
from app.core import edge
from app.core.config import get_settings
from app.core.db import get_session, new_session
from app.core.errors import DomainError
from app.core.i18n import N_, current_language, gettext, pick_language
from app.core.web import STATIC_PREFIX, HashedStatic, environment, error_text, render
from app.decisions import routes as decision_routes
from app.governance import routes as governance_routes
from app.library import routes as library_routes
from app.meetings import routes as meeting_routes
from app.members import routes as member_routes
from app.notifications import routes as notification_routes
from app.outbox import routes as outbox_routes
from app.pages import account, brief, configuration, dashboard, home, outbox, words
from app.training import routes as training_routes

logger = logging.getLogger("app.core.errors")

# The heading of an error page says what kind of refusal it is; only an unexpected error "went wrong".
ERROR_HEADINGS = {
    400: N_("This could not be done"),
    401: N_("Sign-in needed"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not possible here"),
    409: N_("Not possible now"),
    410: N_("No longer valid"),
    413: N_("Too large"),
    415: N_("File not accepted"),
    422: N_("Check the form"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    502: N_("Another service did not answer"),
    503: N_("Try again shortly"),
}

# The portal uses none of these: no page may ask for them.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), browsing-topics=()"
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeaders:
    """Adds the security headers to every response, and the cookies a dependency asked for."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
                ]
                if self.secure:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                for name, value, max_age in scope.get("state", {}).get("new_cookies", []):
                    headers.append((b"set-cookie", cookie_header(name, value, max_age, self.secure).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_header(name: str, value: str, max_age: int | None, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def _access_rules(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        rule = getattr(dependency.call, "__access__", None)
        if rule:
            yield rule
        yield from _access_rules(dependency)


def api_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, also inside included routers (which FastAPI wraps)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            yield from api_routes(route.original_router.routes, prefix + getattr(context, "prefix", ""))


def check_access_rules(app: FastAPI) -> None:
    """Refuses to build an app in which a route has no access rule."""
    count = 0
    for path, route in api_routes(app.routes):
        count += 1
        if not any(_access_rules(route.dependant)):
            raise RuntimeError(f"route {sorted(route.methods or [])} {path} declares no access rule")
    if count == 0 and app.routes:
        raise RuntimeError("no API route found: the access check cannot see the routes")


def _language(request: Request) -> None:
    """The language of an error page, also for requests that matched no route (no dependency ran)."""
    if not hasattr(request.state, "language"):
        request.state.language = pick_language(
            request.cookies.get(deps.cookie(deps.LANGUAGE_COOKIE)),
            accept_language=request.headers.get("Accept-Language", ""),
            default=get_settings().default_language,
        )
    current_language.set(request.state.language)


@contextmanager
def _routes_session(request: Request) -> Iterator[Session]:
    """A session like the routes get (an application may provide its own, as FastAPI allows), for an error page
    that reads outside any route; a new one is closed afterwards, leaving what it read detached but readable."""
    provided = request.app.dependency_overrides.get(get_session)
    if provided is not None:
        yield provided()
        return
    with new_session() as session:
        yield session


async def _visitor_of_unmatched(request: Request) -> None:
    """A request that matched no route ran no dependency: its visitor is read here, so that the page still says who
    is signed in and in their language. Without a database the page shows no one."""
    if hasattr(request.state, "visitor"):
        return

    def resolve() -> None:
        with _routes_session(request) as session:
            deps.resolve_visitor(request, session)

    try:
        await run_in_threadpool(resolve)
        # That session is closed by now: the page leaves out what would need it (the navigation's count).
        request.state.db = None
    except (OperationalError, InterfaceError):
        logger.warning("The visitor of %s could not be read: the database does not answer", request.url.path)


def error_page(request: Request, message: str, status: int, heading: str | None = None, **extra: Any) -> Response:
    """The portal's own error page (or its fragment for htmx), headed by the kind of refusal unless the error
    names its own heading."""
    heading = heading or ERROR_HEADINGS.get(status, ERROR_HEADINGS[500 if status >= 500 else 400])
    # The request's session has closed before an error is shown: reading through it again would begin a transaction
    # nothing ends (on SQLite, after a form was posted, one holding the write lock). The page leaves the count out.
    request.state.db = None
    if _account_expired(request):
        # The database refused the request's change, which expired the account read for the visitor in a session
        # now closed, and it was not read again (see integrity_error): the page names no one rather than failing.
        request.state.visitor = None
    return render(
        request,
        "error.html",
        {"message": message, "status": status, "heading": heading, **extra},
        partial="_error.html",
        status_code=status,
    )


class UnexpectedErrors:
    """Turns an error nobody expected into the portal's error page in the visitor's language, with a short reference
    that is also written to the log beside the traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except edge.TooLarge:
            if started:
                raise
            response = refusal_page(Request(scope), N_("The request is larger than the portal accepts."), 413)
            # Closing the connection stops the server from reading (and discarding) the rest of the body.
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
        except (OperationalError, InterfaceError) as error:
            logger.warning("The database cannot be reached on %s %s: %s", scope["method"], scope["path"], error)
            if started:
                raise
            await unreachable_database(Request(scope))(scope, receive, send)
        except Exception:
            reference = secrets.token_hex(4).upper()
            logger.exception("Unexpected error, reference %s, on %s %s", reference, scope["method"], scope["path"])
            if started:
                raise
            response = unexpected_error_page(Request(scope), reference)
            await response(scope, receive, send)


def refusal_page(request: Request, message: str, status: int) -> Response:
    _language(request)
    return error_page(request, gettext(message), status)


def unreachable_database(request: Request) -> Response:
    """While the database cannot be reached: `/healthz` says so plainly, pages ask to try again shortly."""
    if request.url.path == "/healthz":
        return PlainTextResponse("database unreachable", status_code=503, headers={"Retry-After": "30"})
    response = refusal_page(
        request, N_("The portal cannot reach its database just now. Try again in a few minutes."), 503
    )
    response.headers["Retry-After"] = "30"
    return response


def unexpected_error_page(request: Request, reference: str) -> Response:
    _language(request)
    message = gettext(
        N_(
            "The portal could not finish this request. Try again in a moment; if it happens again, give this "
            "reference to an administrator: %(reference)s"
        )
    ) % {"reference": reference}
    return error_page(request, message, 500, reference=reference)


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    _language(request)
    if isinstance(error, SignInRequired) and request.method == "GET" and "HX-Request" not in request.headers:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/auth/sign-in?next={quote(target)}", status_code=303)
    if isinstance(error, SecondFactorRequired) and request.method == "GET" and "HX-Request" not in request.headers:
        return RedirectResponse("/auth/second-factor", status_code=303)
    return error_page(request, error_text(error), error.status_code, error.heading)


def _account_expired(request: Request) -> bool:
    """Whether the database refused the request's change after its visitor's account was read: the refusal expired
    what was read of it, in a session now closed."""
    visitor = getattr(request.state, "visitor", None)
    return visitor is not None and visitor.user is not None and bool(inspect(visitor.user).expired_attributes)


def _read_account_again(request: Request) -> None:
    """Reads the signed-in account again after a refusal expired it, so that the page still says who is signed in."""
    if not _account_expired(request):
        return
    visitor = request.state.visitor
    with _routes_session(request) as session:
        request.state.visitor = replace(visitor, user=session.get(User, inspect(visitor.user).identity[0]))


async def integrity_error(request: Request, error: Exception) -> Response:
    """A rule the database keeps (a unique index) refused a change another request made first at the same moment:
    nothing was changed, the visitor is asked to look again rather than told the portal failed."""
    assert isinstance(error, IntegrityError)
    logger.warning("A simultaneous change was refused on %s %s: %s", request.method, request.url.path, error.orig)
    try:
        await run_in_threadpool(_read_account_again, request)
    except (OperationalError, InterfaceError):
        logger.warning("The visitor of %s could not be read again: the database does not answer", request.url.path)
    return refusal_page(
        request, N_("This was changed by someone else at the same moment. Reload the page and try again."), 409
    )


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    await _visitor_of_unmatched(request)
    _language(request)
    messages = {
        404: N_("This page does not exist."),
        405: N_("This action is not possible here."),
        413: N_("The request is larger than the portal accepts."),
    }
    fallback = N_("The request could not be handled.")
    message = gettext(messages.get(error.status_code, fallback))
    response = error_page(request, message, error.status_code)
    if isinstance(error, edge.TooLarge):
        response.headers["Connection"] = "close"
    return response


async def validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    _language(request)
    message = gettext(N_("Some fields are missing or too long. Check the form and try again."))
    return error_page(request, message, 422)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Pacific peacekeeping cooperation portal",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[
            Depends(deps.resolve_visitor),
            Depends(deps.apply_language),
            Depends(edge.refuse_hostile_input),
            Depends(deps.verify_csrf),
        ],
    )
    for module in (
        home,
        configuration,
        brief,
        account,
        outbox,
        governance_routes,
        member_routes,
        meeting_routes,
        dashboard,
        training_routes,
        capacity_routes,
        coalition_routes,
        library_routes,
        decision_routes,
        auth_routes,
        factor_routes,
        notification_routes,
        outbox_routes,
        audit_routes,
    ):
        app.include_router(module.router)
    check_access_rules(app)
    words.install(environment())
    app.mount(STATIC_PREFIX.rstrip("/"), HashedStatic(), name="static")
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(IntegrityError, integrity_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    # Authlib keeps the OpenID state, nonce and PKCE verifier here: signed, short-lived, shared by workers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret(),
        session_cookie=deps.cookie("prcn_sso"),
        max_age=600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(edge.WriteIntent)
    app.add_middleware(edge.BodyLimit)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(edge.HeadAsGet)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(SecurityHeaders, secure=settings.secure_cookies)
    return app


def app_factory() -> Any:
    """Entry point for `uvicorn --factory app.main:app_factory`."""
    return create_app()
