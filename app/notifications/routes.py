"""The account page's notification choices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import CurrentUser
from app.auth.routes import Text, _account_page
from app.db import SessionDep
from app.errors import DomainError
from app.notifications import service
from app.web import error_text

router = APIRouter()


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
    try:
        service.save_preference(session, user=user, digest=digest, weekday=weekday, hour=hour, reminders=reminders)
    except DomainError as error:
        return _account_page(request, session, user, notifications_error=error_text(error), status=400)
    return RedirectResponse("/account?notice=notifications-saved#notify-heading", status_code=303)
