"""The digest's one-click unsubscribe."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.auth import queries as accounts
from app.auth.deps import ONE_CLICK_UNSUBSCRIBE, public
from app.auth.models import User
from app.core import clock
from app.core.db import SessionDep, id_of
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.web import render
from app.notifications import digest

router = APIRouter()


UNSUBSCRIBE_PATH = ONE_CLICK_UNSUBSCRIBE


def _subscriber(session: SessionDep, token: str) -> User:
    user_id = digest.account_of_token(token) if len(token) <= 64 else None
    user = accounts.account(session, user_id)
    if user is None:
        raise NotFound(N_("This unsubscribe link is not valid. Choose your emails on your account page."))
    return user


@router.get(UNSUBSCRIBE_PATH, dependencies=[Depends(public)], response_class=HTMLResponse)
def unsubscribe_page(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """The digest's unsubscribe link, opened in a browser: a button confirms, no sign-in needed."""
    user = _subscriber(session, token)
    return render(request, "notifications/unsubscribe.html", {"email": user.email, "token": token, "done": False})


@router.post(UNSUBSCRIBE_PATH, dependencies=[Depends(public)], response_class=HTMLResponse)
def unsubscribe(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """Stops the digest: from the page's button, or from a mail client's one-click POST (RFC 8058), which carries
    neither cookie nor CSRF token; the signed token in the URL is what authenticates it (see `verify_csrf`)."""
    user = _subscriber(session, token)
    digest.unsubscribe(session, id_of(user), now=clock.now())
    return render(request, "notifications/unsubscribe.html", {"email": user.email, "token": token, "done": True})
