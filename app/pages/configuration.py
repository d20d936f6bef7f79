"""The admin's configuration page: the effective settings, the governance options and what the current one
leaves active or dormant, with the meetings coming in each body."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.auth.deps import AdminUser
from app.core import region
from app.core.config import GOVERNANCE_OPTIONS, get_settings
from app.core.db import SessionDep
from app.core.web import render
from app.governance import service as governance
from app.meetings import service as meetings

router = APIRouter()


@router.get("/admin", response_class=HTMLResponse)
def configuration(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    """The effective configuration, secrets masked, how to change the governance option, and what the
    current option leaves active or dormant."""
    settings = get_settings()
    options = region.load(settings.seeds_dir).options
    return render(
        request,
        "governance/admin.html",
        {
            "settings_rows": settings.effective(),
            "options": [options[key] for key in GOVERNANCE_OPTIONS],
            "current": settings.governance_option,
            "overview": governance.overview(session, settings),
            "upcoming": meetings.upcoming_by_body(session),
            "switches": governance.option_history(session),
        },
    )
