"""The outbox page, readable by admins: with no SMTP configured, this is where the mail is; beside it, what the
scheduled jobs last did and the reminders they decided."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import AdminUser
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.web import render
from app.notifications import service as notifications
from app.notifications.models import JOB_LABELS, OUTCOMES, kind_label
from app.outbox import service

router = APIRouter()


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    """The newest messages and their delivery state; the scheduled jobs' last runs and the reminders they decided."""
    messages, counts = service.list_messages(session)
    return render(
        request,
        "outbox/page.html",
        {
            "messages": messages,
            "counts": counts,
            "smtp_enabled": get_settings().smtp_enabled,
            "runs": notifications.last_runs(session),
            "notifications": notifications.recent(session),
            "job_labels": JOB_LABELS,
            "kind_label": kind_label,
            "outcomes": OUTCOMES,
        },
    )
