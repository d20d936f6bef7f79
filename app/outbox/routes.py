"""One message of the outbox as it will be (or was) sent, readable by admins."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import AdminUser
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.web import render
from app.outbox import service

router = APIRouter()


@router.get("/admin/outbox/{message_id}", response_class=HTMLResponse)
def outbox_message(request: Request, message_id: int, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    """One message as it will be (or was) sent."""
    message = service.get_message(session, message_id)
    if message is None:
        raise NotFound(N_("No such message."))
    email = service.build_email(message, get_settings())
    return render(request, "outbox/detail.html", {"message": message, "attachments": attachments_of(email)})


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message, as the recipient gets it."""

    filename: str
    content_type: str
    method: str
    size: int
    text: str


def attachments_of(email: EmailMessage) -> list[Attachment]:
    """The message's attachments read from the email as built for sending: the name, type, METHOD and size sent."""
    found = []
    for part in email.iter_attachments():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        found.append(
            Attachment(
                filename=part.get_filename() or "",
                content_type=part.get_content_type(),
                method=str(part.get_param("method") or ""),
                size=len(data),
                text=data.decode(part.get_content_charset() or "utf-8", "replace"),
            )
        )
    return found
