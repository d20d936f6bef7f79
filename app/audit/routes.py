"""The audit log, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.audit import reading, service
from app.auth.deps import AdminUser
from app.core.db import SessionDep
from app.core.web import render

router = APIRouter()
PAGE_SIZE = 100


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request, session: SessionDep, admin: AdminUser, page: int = Query(default=1, ge=1, le=100_000)
) -> HTMLResponse:
    """Recorded changes, newest first."""
    entries, total = service.latest(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(
        request,
        "audit/page.html",
        {
            "entries": entries,
            "page": page,
            "has_next": page * PAGE_SIZE < total,
            "total": total,
            "audit_what": reading.what,
            "audit_changes": reading.changes,
        },
    )
