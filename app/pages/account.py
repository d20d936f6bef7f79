"""The account page: a person's language and zone, password, second factor and email choices, and the forms on
it that show the page again when they are refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import second_factor
from app.auth import service as accounts
from app.auth.deps import CurrentUser, VisitorDep
from app.auth.models import User
from app.auth.responses import remember_language
from app.core import region
from app.core.config import LANGUAGES, get_settings
from app.core.db import SessionDep
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.web import form_action, render
from app.members import queries as members
from app.notifications import service as notifications
from app.notifications.models import DIGESTS, REMINDER_KINDS

router = APIRouter()
Text = Annotated[str, Form(max_length=4096)]

NOTICES = {
    "preferences-saved": N_("Your preferences have been saved."),
    "notifications-saved": N_("Your email choices have been saved."),
    "password-saved": N_("Your password has been changed. Your other sessions have ended."),
    "set-password": N_("You are signed in. Choose a password now, so you can sign in again later."),
    "second-factor-removed": N_("The authenticator app and the recovery codes have been removed."),
}


def account_page(request: Request, session: SessionDep, user: User, **context: object) -> HTMLResponse:
    """The account page, with what a refused form adds (its error, and the status to answer with)."""
    status = int(str(context.pop("status", 200)))
    return render(
        request,
        "auth/account.html",
        {
            "zones": region.time_zones(get_settings().seeds_dir),
            "languages": LANGUAGES,
            "sso": get_settings().sso_enabled,
            "state": members.state(session, user.member_state_id),
            "has_second_factor": second_factor.has_factor(session, user),
            "notify": notifications.preference(session, user),
            "digests": DIGESTS,
            "reminder_kinds": REMINDER_KINDS,
            "weekdays": notifications.weekday_names(user.language),
            **context,
        },
        status_code=status,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, user: CurrentUser, notice: str | None = None) -> HTMLResponse:
    """The signed-in user's preferences and password."""
    return account_page(request, session, user, notice=NOTICES.get(notice or ""))


@router.post("/account/preferences", response_model=None)
def save_preferences(
    request: Request, session: SessionDep, user: CurrentUser, language: Text = "", time_zone: Text = ""
) -> Response:
    """Saves language and time zone."""

    def saved(_: None) -> Response:
        response = RedirectResponse("/account?notice=preferences-saved", status_code=303)
        remember_language(response, language)
        return response

    return form_action(
        session,
        lambda: accounts.update_preferences(session, user=user, language=language, time_zone=time_zone.strip()),
        saved,
        lambda message, status: account_page(request, session, user, preferences_error=message, status=status),
    )


@router.post("/account/password", response_model=None)
def save_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    visitor: VisitorDep,
    current: Text = "",
    password: Text = "",
    confirm: Text = "",
) -> Response:
    """Changes the password; other sessions of the account end."""

    def change() -> None:
        if password != confirm:
            raise DomainError(N_("The two passwords are not the same."))
        accounts.change_password(session, user=user, current=current, new=password, keep=visitor.auth_session)

    return form_action(
        session,
        change,
        lambda _: RedirectResponse("/account?notice=password-saved", status_code=303),
        lambda message, status: account_page(request, session, user, password_error=message, status=status),
    )


@router.post("/account/notifications", response_model=None)
def save_notifications(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    digest: Text = "",
    weekday: Text = "0",
    hour: Text = "8",
    reminders: Annotated[list[str], Form(max_length=40)] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """Saves the digest's frequency, day and hour, and which reminders come."""
    return form_action(
        session,
        lambda: notifications.save_preference(
            session, user=user, digest=digest, weekday=weekday, hour=hour, reminders=reminders
        ),
        lambda _: RedirectResponse("/account?notice=notifications-saved#notify-heading", status_code=303),
        lambda message, status: account_page(request, session, user, notifications_error=message, status=status),
    )
