"""The network's public page, the health answer for load balancers and the site's icon."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from app.auth.deps import public
from app.core.config import get_settings
from app.core.db import SessionDep, ping
from app.core.web import STATIC_DIR, render
from app.decisions import service as decisions
from app.governance import service as governance
from app.library import service as library
from app.meetings import service as meetings
from app.meetings import text

router = APIRouter()


@router.get("/", dependencies=[Depends(public)], response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    """The network's public page: what it is, its governance option, the states taking part, published meeting
    summaries and public documents — readable without signing in."""
    settings = get_settings()
    return render(
        request,
        "governance/home.html",
        {
            "states": governance.taking_part(session, settings),
            "summaries": [
                (meeting, text.render(meeting.summary)) for meeting in meetings.published_summaries(session, limit=5)
            ],
            "documents": library.public_documents(session, settings, limit=10),
            "decisions": decisions.published(session, limit=10),
        },
    )


@router.get("/healthz", dependencies=[Depends(public)], response_class=PlainTextResponse)
def health(session: SessionDep) -> PlainTextResponse:
    """For load balancers: answers once the database answers."""
    ping(session)
    return PlainTextResponse("ok")


@router.get("/favicon.ico", dependencies=[Depends(public)], include_in_schema=False)
def favicon() -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page links: they get the portal's icon (an SVG,
    which browsers accept at this address by its media type), cached for a day since the address never changes."""
    icon = (STATIC_DIR / "img" / "favicon.svg").read_bytes()
    return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
