"""The home page (the network and its current governance option) and the admin's configuration page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlalchemy import text

from app.auth.deps import AdminUser, public
from app.config import GOVERNANCE_OPTIONS, get_settings
from app.db import SessionDep
from app.governance import region
from app.web import render

router = APIRouter()


@router.get("/", dependencies=[Depends(public)], response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The network's name and the governance option it runs."""
    return render(request, "governance/home.html")


@router.get("/healthz", dependencies=[Depends(public)], response_class=PlainTextResponse)
def health(session: SessionDep) -> PlainTextResponse:
    """For load balancers: answers once the database answers."""
    session.execute(text("SELECT 1"))
    return PlainTextResponse("ok")


@router.get("/admin", response_class=HTMLResponse)
def configuration(request: Request, admin: AdminUser) -> HTMLResponse:
    """The effective configuration, secrets masked, and how to change the governance option."""
    settings = get_settings()
    options = region.load(settings.seeds_dir).options
    return render(request, "governance/admin.html", {
        "settings_rows": settings.effective(),
        "options": [options[key] for key in GOVERNANCE_OPTIONS],
        "current": settings.governance_option,
    })
