"""The outbox, readable by admins: with no SMTP configured, this is where the mail is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import AdminUser
from app.config import get_settings
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_
from app.outbox import service
from app.web import render

router = APIRouter()


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    """The newest messages and their delivery state."""
    messages, counts = service.list_messages(session)
    return render(
        request,
        "outbox/page.html",
        {
            "messages": messages,
            "counts": counts,
            "smtp_enabled": get_settings().smtp_enabled,
        },
    )


@router.get("/admin/outbox/{message_id}", response_class=HTMLResponse)
def outbox_message(request: Request, message_id: int, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    """One message as it will be (or was) sent."""
    message = service.get_message(session, message_id)
    if message is None:
        raise NotFound(N_("No such message."))
    return render(request, "outbox/detail.html", {"message": message})
