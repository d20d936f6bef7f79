"""Decisions pages: the register with its filters and search, its CSV, a decision's stable page with its history,
recording and correcting from the meeting, publishing, linking action items, and the outcome statement."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from app.auth.deps import Coordinator, CurrentUser, Member, VisitorDep, public
from app.core import paging
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.exports import csv_stream, safe_cell
from app.core.i18n import N_, current_language, gettext, in_language
from app.core.web import error_text, form_action, render
from app.decisions import queries, service
from app.decisions.models import OUTCOMES, STATUSES, Decision
from app.decisions.section import choices
from app.governance import queries as governance
from app.governance.models import TRACKS
from app.library import search
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.members import queries as members

router = APIRouter()
Text = Annotated[str, Form(max_length=10_000)]
Short = Annotated[str, Field(max_length=10_000)]
# Coordinators, admins and the focal points of the chair's state: the service tells the chair from the others.

NOTICES = {
    "recorded": N_("The decision has been recorded."),
    "corrected": N_("The correction has been recorded; the earlier wording stays in the history."),
    "published": N_("The decision is published on the public page."),
    "unpublished": N_("The decision is no longer published."),
    "linked": N_("The action item now carries out this decision."),
}


def meeting_from_path(meeting_id: int, session: SessionDep, user: CurrentUser) -> tuple[Meeting, meetings.Access]:
    return meetings.get_meeting(session, meeting_id, user=user)


MeetingFromPath = Annotated[tuple[Meeting, meetings.Access], Depends(meeting_from_path)]


def _number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 9 else None


def _form(values: dict[str, Any]) -> service.DecisionForm:
    """The posted fields as a DecisionForm; a number that is not one is left out (and refused if required)."""
    reserving = values.get("reservation_state") or []
    words = values.get("reservation_words") or []
    reservations = [
        (state_id, text)
        for state_id, text in ((_number(s), w) for s, w in zip(reserving, words, strict=False))
        if state_id is not None
    ]
    outcome = str(values.get("outcome", "consensus"))
    return service.DecisionForm(
        text_en=str(values.get("text_en", "")),
        text_fr=str(values.get("text_fr", "")),
        agenda_item_id=_number(str(values.get("agenda_item", ""))),
        proposer_state_id=_number(str(values.get("proposer_state", ""))),
        proposer_organisation=str(values.get("proposer_organisation", "")),
        outcome=outcome,
        reservations=reservations if outcome == "reservations" else [],
        deferred_to_id=_number(str(values.get("deferred_to", ""))) if outcome == "deferred" else None,
        votes_for=_number(str(values.get("votes_for", ""))) if outcome == "vote" else None,
        votes_against=_number(str(values.get("votes_against", ""))) if outcome == "vote" else None,
        votes_abstaining=_number(str(values.get("votes_abstaining", ""))) if outcome == "vote" else None,
        relation=str(values.get("relation", "")) if values.get("related") else "",
        related_id=_number(str(values.get("related", ""))),
    )


class Posted(BaseModel):
    """The recording and correction forms' fields, as sent."""

    text_en: Short = ""
    text_fr: Short = ""
    agenda_item: Short = ""
    proposer_state: Short = ""
    proposer_organisation: Short = ""
    outcome: Short = "consensus"
    reservation_state: list[Annotated[str, Field(max_length=10)]] = []
    reservation_words: list[Annotated[str, Field(max_length=10_000)]] = []
    deferred_to: Short = ""
    votes_for: Short = ""
    votes_against: Short = ""
    votes_abstaining: Short = ""
    relation: Short = ""
    related: Short = ""
    note: Short = ""

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = self.model_dump()
        values["reservation_state"] = self.reservation_state[:50]
        values["reservation_words"] = self.reservation_words[:50]
        return values


def _form_page(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    *,
    values: dict[str, Any],
    error: str,
    status: int,
    decision: Decision | None = None,
) -> HTMLResponse:
    return render(
        request,
        "decisions/form.html",
        {
            "meeting": meeting,
            "decision": decision,
            "values": values,
            "error": error,
            "choices": choices(session, meeting),
        },
        status_code=status,
    )


@router.post("/meetings/{meeting_id}/decisions", response_model=None)
def record(
    request: Request,
    user: Member,
    found: MeetingFromPath,
    session: SessionDep,
    posted: Annotated[Posted, Form()],
) -> Response:
    """Records a decision of the meeting (coordinators, admins, the chair)."""
    meeting, _ = found
    values = posted.values()
    return form_action(
        session,
        lambda: service.record(session, get_settings(), user=user, meeting=meeting, form=_form(values)),
        lambda decision: RedirectResponse(f"/decisions/{decision.id}?notice=recorded", status_code=303),
        lambda message, status: _form_page(request, session, meeting, values=values, error=message, status=status),
    )


def _decision_of(session: SessionDep, meeting: Meeting, decision_id: int) -> Decision:
    decision = queries.meeting_decision(session, meeting.id, decision_id)
    if decision is None:
        raise NotFound(N_("No such decision."))
    return decision


@router.post("/meetings/{meeting_id}/decisions/{decision_id}", response_model=None)
def correct(
    request: Request,
    user: Member,
    found: MeetingFromPath,
    session: SessionDep,
    decision_id: int,
    posted: Annotated[Posted, Form()],
) -> Response:
    """Corrects a decision; the earlier wording stays in its history."""
    meeting, _ = found
    decision = _decision_of(session, meeting, decision_id)
    values = posted.values()

    def refused(message: str, status: int) -> Response:
        session.refresh(decision)
        return _form_page(request, session, meeting, values=values, error=message, status=status, decision=decision)

    return form_action(
        session,
        lambda: service.correct(
            session,
            get_settings(),
            user=user,
            decision=decision,
            form=_form(values),
            note=str(values.get("note", "")),
        ),
        lambda _: RedirectResponse(f"/decisions/{decision.id}?notice=corrected", status_code=303),
        refused,
    )


@router.post("/meetings/{meeting_id}/decisions/{decision_id}/publication", response_model=None)
def publication(
    user: Coordinator, found: MeetingFromPath, session: SessionDep, decision_id: int, publish: Text = ""
) -> Response:
    """Publishes a decision on the public page and in the meeting's public summary, or takes it back."""
    decision = _decision_of(session, found[0], decision_id)
    service.set_published(session, user=user, decision=decision, publish=publish == "on")
    notice = "published" if publish == "on" else "unpublished"
    return RedirectResponse(f"/decisions/{decision.id}?notice={notice}", status_code=303)


@router.post("/meetings/{meeting_id}/decisions/{decision_id}/action-items", response_model=None)
def link_action(
    user: Coordinator, found: MeetingFromPath, session: SessionDep, decision_id: int, action_item: Text = ""
) -> Response:
    """Records that an action item carries out the decision."""
    decision = _decision_of(session, found[0], decision_id)
    service.link_action(session, user=user, decision=decision, action_item_id=_number(action_item) or 0)
    return RedirectResponse(f"/decisions/{decision.id}?notice=linked", status_code=303)


@router.get("/decisions/{decision_id}", dependencies=[Depends(public)], response_class=HTMLResponse)
def decision_page(
    request: Request, session: SessionDep, visitor: VisitorDep, decision_id: int, notice: str = ""
) -> HTMLResponse:
    """A decision's stable page: what was agreed, how, what follows from it, and its history."""
    page = service.get(session, decision_id, user=visitor.user)
    names = members.states_by_id(session) if page.records else {}
    return render(
        request,
        "decisions/detail.html",
        {
            "page": page,
            "row": page.row,
            "notice": NOTICES.get(notice),
            "linkable": service.linkable_actions(session, page.row.decision) if page.runs else [],
            "choices": choices(session, page.row.meeting) if page.records else {},
            "values": _values_of(session, page.row.decision) if page.records else {},
            "version_text": service.version_text,
            "state_names": names,
            "agenda_item": queries.agenda_item(session, page.row.decision),
        },
    )


def _values_of(session: SessionDep, decision: Decision) -> dict[str, Any]:
    """The correction form filled with what the decision says now."""
    reservations = queries.reservations(session, decision.id)
    return {
        "text_en": decision.text_en,
        "text_fr": decision.text_fr,
        "agenda_item": str(decision.agenda_item_id or ""),
        "proposer_state": str(decision.proposer_state_id or ""),
        "proposer_organisation": decision.proposer_organisation,
        "outcome": decision.outcome,
        "deferred_to": str(decision.deferred_to_id or ""),
        "votes_for": "" if decision.votes_for is None else str(decision.votes_for),
        "votes_against": "" if decision.votes_against is None else str(decision.votes_against),
        "votes_abstaining": "" if decision.votes_abstaining is None else str(decision.votes_abstaining),
        "reservation_state": [str(r.state_id) for r in reservations],
        "reservation_words": [r.words for r in reservations],
    }


@dataclass
class RegisterQuery:
    """The register's filters as its address carries them; the page and its CSV read the same ones."""

    body: str = ""
    group: str = ""
    year: str = ""
    track: str = ""
    status: str = ""
    state: str = ""
    q: str = ""


def _filters(session: SessionDep, query: RegisterQuery) -> tuple[service.Filters, dict[str, str]]:
    body_row = governance.body_by_key(session, query.body[:40]) if query.body else None
    state_row = members.state_by_code(session, query.state[:2]) if query.state else None
    shown = {
        "body": body_row.key if body_row else "",
        "group": query.group if _number(query.group) is not None else "",
        "year": query.year if _number(query.year) is not None else "",
        "track": query.track if query.track in TRACKS else "",
        "status": query.status if query.status in STATUSES else "",
        "state": state_row.code if state_row else "",
        "q": query.q[:200],
    }
    year_number = _number(shown["year"])
    return (
        service.Filters(
            body_id=body_row.id if body_row else None,
            working_group_id=_number(shown["group"]),
            year=year_number if year_number is not None and 1900 <= year_number <= 2199 else None,
            track=shown["track"],
            status=shown["status"],
            state_id=state_row.id if state_row else None,
            q=shown["q"],
        ),
        shown,
    )


@router.get("/decisions", response_class=HTMLResponse)
def register(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    query: Annotated[RegisterQuery, Depends()],
    page: str = "",
) -> HTMLResponse:
    """The register: decisions of the network, a body or a working group, filtered and searched in both languages,
    a page at a time, newest meeting first."""
    filters, shown = _filters(session, query)
    error, code, rows, number = "", 200, [], paging.page_number(page)
    try:
        rows = service.register(session, user=user, filters=filters, page=number)
    except search.SearchRefused as refused:
        error, code = error_text(refused), refused.status_code
    rows, pages = paging.cut(request, rows, number)
    language = current_language.get()
    return render(
        request,
        "decisions/page.html",
        {
            "rows": rows,
            "page": pages,
            "filters": shown,
            "error": error,
            "bodies": governance.bodies(session),
            "groups": governance.working_groups(session),
            "years": queries.years(session),
            "states": sorted(members.states_by_id(session).values(), key=lambda s: s.name(language)),
            "tracks": TRACKS,
            "statuses": STATUSES,
            "csv_query": request.url.query,
        },
        partial="decisions/_results.html",
        status_code=code,
    )


@router.get("/decisions.csv", response_model=None)
def register_csv(
    session: SessionDep,
    user: CurrentUser,
    query: Annotated[RegisterQuery, Depends()],
) -> Response:
    """The register as the reader sees it, as CSV, in the reader's language, sent as it is read."""
    filters, _ = _filters(session, query)
    language = current_language.get()
    chunks = service.register_chunks(session, user=user, filters=filters)
    first = next(chunks)  # a refused search is refused here, before any of the file is sent
    header = [
        gettext("Decision"),
        gettext("Meeting"),
        gettext("Date"),
        gettext("Body"),
        gettext("Text (English)"),
        gettext("Text (French)"),
        gettext("Proposed by"),
        gettext("Outcome"),
        gettext("Status"),
        gettext("Reservations"),
        gettext("Link"),
    ]
    base = get_settings().base_url.rstrip("/")

    def line(row: service.Row) -> list[str]:
        proposer = row.proposer.name(language) if row.proposer else row.decision.proposer_organisation
        reservations = "; ".join(
            f"{r.state.name(language) if r.state else gettext('A state')}: {r.words}" for r in row.reservations
        )
        owner = row.group.name if row.group else (row.body.name(language) if row.body else "")
        return [
            safe_cell(row.decision.id),
            safe_cell(row.meeting.title(language)),
            row.meeting.starts_at.date().isoformat(),
            safe_cell(owner),
            safe_cell(row.decision.text_en),
            safe_cell(row.decision.text_fr),
            safe_cell(proposer),
            gettext(OUTCOMES[row.decision.outcome]),
            gettext(STATUSES[row.decision.status]),
            safe_cell(reservations),
            f"{base}/decisions/{row.decision.id}",
        ]

    def lines() -> Iterator[list[list[str]]]:
        # The file is written after this function returns, each chunk in a context of its own: each is written in
        # the reader's language (never across a `yield`, which may resume in another context).
        for chunk in itertools.chain([first], chunks):
            with in_language(language):
                written = [line(row) for row in chunk]
            yield written

    return csv_stream(header, lines(), "decisions.csv")


@router.get("/meetings/{meeting_id}/outcome", response_class=HTMLResponse)
def outcome_statement(request: Request, session: SessionDep, user: CurrentUser, found: MeetingFromPath) -> HTMLResponse:
    """The printable record of the meeting's decisions, in the reader's language."""
    meeting, rights = found
    return render(
        request,
        "decisions/outcome.html",
        {
            "meeting": meeting,
            "rows": service.of_meeting(session, user=user, meeting=meeting),
            "present": service.present_states(session, meeting) if rights.attributions else [],
        },
    )
