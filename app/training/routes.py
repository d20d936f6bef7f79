"""Training pages: the catalogue, an offer and its forms (nominations, allocation, outcomes), candidates,
the regional view of certified officers, each state's record, the reports and the calendar feed of offers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import CurrentUser, FocalPoint, Member, public
from app.auth.models import User
from app.core import clock, paging, region
from app.core.config import get_settings
from app.core.db import SessionDep, id_of
from app.core.errors import DomainError
from app.core.exports import csv_response
from app.core.forms import filter_day
from app.core.i18n import N_, current_language, gettext
from app.core.web import CONFIRMED, Confirmation, confirm_first, form_action, render
from app.meetings import service as meetings
from app.members import queries as members
from app.training import calendar, charts, queries, service
from app.training.models import LANGUAGES, NOMINATION_EVENTS, Nomination, TrainingOffer

router = APIRouter()
# Who can offer courses and handle nominations: the role is checked before an offer or nomination is looked up.
Text = Annotated[str, Form(max_length=10_000)]
Choices = Annotated[list[str], Form()]

NOTICES = {
    "created": N_("The offer has been saved as a draft. Publish it when it is ready."),
    "saved": N_("The offer has been saved."),
    "published": N_("The offer is published in the catalogue."),
    "closed": N_("Nominations are closed."),
    "completed": N_("The course is marked as completed."),
    "cancelled": N_("The offer is cancelled; the states that nominated are told."),
    "nominated": N_("The nomination has been sent."),
    "moved": N_("The order of preference has been changed."),
    "withdrawn": N_("The nomination has been withdrawn."),
    "allocated": N_("The decisions have been recorded; the states are told."),
    "outcomes": N_("The outcomes have been recorded."),
    "erased": N_("The candidate's personal data has been erased."),
}


def offer_from_path(offer_id: int, session: SessionDep, user: CurrentUser) -> TrainingOffer:
    return service.get_offer(session, offer_id, user=user)


def nomination_from_path(nomination_id: int, session: SessionDep, user: Member) -> tuple[Nomination, TrainingOffer]:
    return service.get_nomination(session, nomination_id, user=user)


OfferFromPath = Annotated[TrainingOffer, Depends(offer_from_path)]
NominationFromPath = Annotated[tuple[Nomination, TrainingOffer], Depends(nomination_from_path)]


@router.get("/training", response_class=HTMLResponse)
def catalogue(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    track: str = "",
    course_type: str = "",
    language: str = "",
    provider: str = "",
    after: str | None = None,
    before: str = "",
    notice: str = "",
    page: str = "",
) -> HTMLResponse:
    """Published offers, filtered by track, type, dates, language and providing state, a page at a time; the
    women's share counts every offer the filters list. Until the reader says otherwise (an empty "From"), courses
    that ended before the reader's today are left out, so the list starts with what can still be attended."""
    filters = service.Filters(
        track=track,
        course_type=course_type,
        language=language,
        provider=provider,
        after=clock.today(user.time_zone) if after is None else filter_day(after),
        before=filter_day(before),
    )
    number = paging.page_number(page)
    rows, pages = paging.cut(request, service.catalogue(session, user=user, filters=filters, page=number), number)
    nominated, accepted = service.catalogue_shares(session, user=user, filters=filters)
    settings = get_settings()
    return render(
        request,
        "training/catalogue.html",
        {
            "rows": rows,
            "page": pages,
            "filters": filters,
            "kinds": queries.course_types(session),
            "states": members.member_states(session),
            "nominated": nominated,
            "accepted": accepted,
            "targets": service.targets_for(settings, "any"),
            "may_offer": service.may_offer(user),
            "notice": NOTICES.get(notice),
            "with_past": _with_past(request),
        },
        partial="training/_offers.html",
    )


def _with_past(request: Request) -> str:
    """The catalogue with the same filters and no "From" day, so courses that have ended are listed too."""
    kept = {name: value for name, value in request.query_params.items() if name not in ("after", "page", "notice")}
    return "/training?" + urlencode({**kept, "after": ""})


def _form_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    offer: TrainingOffer | None = None,
    values: dict[str, object] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "training/form.html",
        {
            "offer": offer,
            "values": values or {},
            "error": error,
            "kinds": queries.course_types(session),
            "states": members.member_states(session),
            "zones": region.time_zones(get_settings().seeds_dir),
            "default_zone": user.time_zone,
            "chooses_provider": user.role in service.STAFF,
            "language_labels": LANGUAGES,
        },
        status_code=status,
    )


def _offer_values(offer: TrainingOffer, session: SessionDep) -> dict[str, object]:
    kind = queries.course_type(session, offer.course_type_id)
    venue = members.state(session, offer.venue_state_id)
    return {
        "title": offer.title,
        "course_type": kind.key if kind else "",
        "track": offer.track,
        "starts_on": offer.starts_on.isoformat(),
        "ends_on": offer.ends_on.isoformat(),
        "deadline_on": offer.deadline_on.isoformat(),
        "seats": offer.seats,
        "seats_per_state": offer.seats_per_state,
        "languages": offer.language_codes(),
        "online": offer.online,
        "venue_state": venue.code if venue else "",
        "city": offer.city,
        "eligibility": offer.eligibility,
        "cost_sharing": offer.cost_sharing,
        "contact": offer.contact,
        "zone": offer.zone,
    }


@router.get("/training/certified", response_class=HTMLResponse)
def certified(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """Police officers per state whose SAAT pass still counts: who is ready for deployment."""
    settings = get_settings()
    return render(
        request,
        "training/certified.html",
        {"rows": service.certified_view(session, settings), "months": service.valid_months(settings.seeds_dir)},
    )


@router.get("/training/records/{code}", response_class=HTMLResponse)
def state_record(request: Request, code: str, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """A state's trained and certified personnel, per kind of course; names only for who may see them."""
    state = members.state_by_code(session, code)
    if state is None:
        raise DomainError(N_("No such state or territory."), status_code=404)
    rows, people = service.state_record(session, state)
    visible = [(n, o) for n, o in people if service.sees_candidate(user, o, n)]
    return render(request, "training/record.html", {"state": state, "rows": rows, "people": visible})


@router.get("/training/reports", response_class=HTMLResponse)
def reports(request: Request, session: SessionDep, user: CurrentUser, year: str = "") -> HTMLResponse:
    """Seats offered, nominated and filled per year and per state, and the women's share, as charts and tables."""
    settings = get_settings()
    years, per_state = service.report(session)
    chosen = int(year) if year.isdigit() and int(year) in per_state else (years[-1].year if years else None)
    return render(
        request,
        "training/reports.html",
        {
            "years": years,
            "chosen": chosen,
            "per_state": per_state.get(chosen, []) if chosen else [],
            "seats_chart": charts.seats_chart(years),
            "share_chart": charts.share_chart(years),
            "targets": service.targets_for(settings, "any"),
        },
    )


@router.get("/training/calendar/{token}.ics", response_model=None, dependencies=[Depends(public)])
def offers_feed(token: str, session: SessionDep) -> Response:
    """The published offers as an iCalendar feed; the private calendar link's secret is the credential."""
    owner = meetings.feed_owner(session, token=token)
    rows = service.catalogue(session, user=owner, filters=service.Filters())
    text = calendar.offers_feed(session, get_settings(), [row.offer for row in rows], language=owner.language)
    return Response(text, media_type="text/calendar; charset=utf-8")


@router.get("/training/new", response_class=HTMLResponse)
def new_offer(request: Request, session: SessionDep, user: Member) -> HTMLResponse:
    """The form to offer a course (saved as a draft)."""
    return _form_page(request, session, user)


def _offer_input(
    title: Text = "",
    course_type: Text = "",
    track: Text = "",
    starts_on: Text = "",
    ends_on: Text = "",
    deadline_on: Text = "",
    seats: Text = "",
    seats_per_state: Text = "",
    languages: Choices = [],  # noqa: B006
    online: Text = "",
    venue_state: Text = "",
    city: Text = "",
    provider_state: Text = "",
    provider_organisation: Text = "",
    eligibility: Text = "",
    cost_sharing: Text = "",
    contact: Text = "",
    zone: Text = "",
) -> service.OfferForm:
    return service.OfferForm(
        title=title,
        course_type=course_type,
        track=track,
        starts_on=starts_on,
        ends_on=ends_on,
        deadline_on=deadline_on,
        seats=seats,
        seats_per_state=seats_per_state,
        languages=languages,
        online=online == "yes",
        venue_state=venue_state,
        city=city,
        provider_state=provider_state,
        provider_organisation=provider_organisation,
        eligibility=eligibility,
        cost_sharing=cost_sharing,
        contact=contact,
        zone=zone,
    )


OfferInput = Annotated[service.OfferForm, Depends(_offer_input)]


@router.post("/training", response_model=None)
def create_offer(request: Request, session: SessionDep, user: Member, form: OfferInput) -> Response:
    """Saves a new offer as a draft."""
    return form_action(
        session,
        lambda: service.create_offer(session, user=user, form=form),
        lambda offer: RedirectResponse(f"/training/{offer.id}?notice=created", status_code=303),
        lambda message, status: _form_page(request, session, user, values=vars(form), error=message, status=status),
    )


@router.get("/training/{offer_id}/edit", response_class=HTMLResponse)
def edit_offer(request: Request, user: Member, offer: OfferFromPath, session: SessionDep) -> HTMLResponse:
    """The offer's form, filled in, for its provider."""
    if not service.manages(user, offer):
        raise DomainError(N_("Only the course provider, coordinators and admins may do this."), status_code=403)
    return _form_page(request, session, user, offer=offer, values=_offer_values(offer, session))


@router.post("/training/{offer_id}", response_model=None)
def save_offer(request: Request, user: Member, offer: OfferFromPath, session: SessionDep, form: OfferInput) -> Response:
    """Saves the changes to an offer."""
    return form_action(
        session,
        lambda: service.update_offer(session, user=user, offer=offer, form=form),
        lambda _: RedirectResponse(f"/training/{offer.id}?notice=saved", status_code=303),
        lambda message, status: _form_page(
            request, session, user, offer=offer, values=vars(form), error=message, status=status
        ),
    )


def _offer_page(
    request: Request,
    session: SessionDep,
    user: User,
    offer: TrainingOffer,
    *,
    notice: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
    decisions: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    partial: str | None = None,
    candidate: service.CandidateForm | None = None,
) -> HTMLResponse:
    """The offer's page; `decisions` and `reasons` fill the allocation form, as chosen but not confirmed, and
    `candidate` the nomination form, as typed."""
    settings = get_settings()
    manages = service.manages(user, offer)
    everyone = service.preview(session, offer, {})
    mine = (
        service.state_nominations(session, offer, user.member_state_id)
        if user.member_state_id is not None and user.role == "focal_point"
        else []
    )
    nominations = service.nominations(session, id_of(offer)) if manages else []
    states = {s.id: s for s in members.member_states(session)}
    return render(
        request,
        "training/offer.html",
        {
            "offer": offer,
            "kind": queries.course_type(session, offer.course_type_id),
            "states": states,
            "provider": states.get(offer.provider_state_id) if offer.provider_state_id else None,
            "venue": states.get(offer.venue_state_id) if offer.venue_state_id else None,
            "manages": manages,
            "mine": mine,
            "nominations": nominations,
            "allocation": everyone,
            "projected": service.preview(session, offer, decisions or {}) if decisions else None,
            "decisions": decisions or {},
            "reasons": reasons or {},
            "targets": service.targets_for(settings, offer.track),
            "next_statuses": service.NEXT_STATUSES.get(offer.status, ()) if manages else (),
            "may_nominate": user.role == "focal_point"
            and user.member_state_id is not None
            and offer.status == "published"
            and not service.deadline_passed(offer),
            "deadline_passed": service.deadline_passed(offer),
            "outcomes": service.outcomes_for(session, offer),
            "notice": NOTICES.get(notice),
            "errors": errors or {},
            "language_labels": LANGUAGES,
            "candidate": candidate,
        },
        status_code=status,
        partial=partial,
    )


def _change(
    request: Request,
    session: SessionDep,
    user: User,
    offer: TrainingOffer,
    part: str,
    change: Callable[[], object],
    done: str,
    *,
    decisions: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    candidate: service.CandidateForm | None = None,
) -> Response:
    """Makes the change and goes to `done`; if it is refused (other than for lack of rights), the offer page with the
    message beside the form `part`, nothing changed, the allocation form keeping the `decisions` and `reasons`
    entered and the nomination form the `candidate` typed. A nomination not of this offer (404) is said beside the
    form: the offer itself is there; and so is a focal point's refused nomination (403), since they read the offer."""
    return form_action(
        session,
        change,
        lambda _: RedirectResponse(done, status_code=303),
        lambda message, status: _offer_page(
            request,
            session,
            user,
            offer,
            errors={part: message},
            status=status,
            decisions=decisions,
            reasons=reasons,
            candidate=candidate,
        ),
        on_page=(403, 404) if part == "nominate" else (404,),
    )


async def posted(request: Request) -> dict[str, str]:
    """The posted fields of forms whose field names carry ids (decision-12, outcome-12, on-12)."""
    return {key: str(value)[:500] for key, value in (await request.form()).items()}


Posted = Annotated[dict[str, str], Depends(posted)]


@router.get("/training/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request, offer: OfferFromPath, session: SessionDep, user: CurrentUser, notice: str = ""
) -> HTMLResponse:
    """One offer: its details, the women's share, and the forms the user's role allows."""
    return _offer_page(request, session, user, offer, notice=notice)


@router.post("/training/{offer_id}/status", response_model=None)
def change_status(
    request: Request, user: Member, offer: OfferFromPath, session: SessionDep, status: Text = "", confirmed: Text = ""
) -> Response:
    """Publishes, closes, reopens, completes or cancels the offer (cancelling once confirmed)."""
    cancellable = status in service.NEXT_STATUSES.get(offer.status, ()) and service.manages(user, offer)
    if status == "cancelled" and confirmed != CONFIRMED and cancellable:
        return confirm_first(
            request,
            Confirmation(
                question=gettext("Cancel the offer “%(title)s”?") % {"title": offer.title},
                consequence=gettext(
                    "The course leaves the catalogue and takes no more nominations; its record and its candidates stay."
                ),
                told=[f"{p.display_name} <{p.email}>" for p in service.told_of_cancellation(session, offer)],
                button=gettext("Cancel the offer"),
                action=f"/training/{offer.id}/status",
                back=f"/training/{offer.id}",
                fields={"status": "cancelled"},
            ),
        )
    return _change(
        request,
        session,
        user,
        offer,
        "status",
        lambda: service.set_status(session, get_settings(), user=user, offer=offer, status=status),
        f"/training/{offer.id}?notice={status}",
    )


@router.post("/training/{offer_id}/nominations", response_model=None)
def nominate(
    request: Request,
    user: FocalPoint,
    offer: OfferFromPath,
    session: SessionDep,
    full_name: Text = "",
    gender: Text = "",
    rank: Text = "",
    service_name: Text = "",
    languages: Choices = [],  # noqa: B006
    notes: Text = "",
) -> Response:
    """A focal point nominates a candidate of their state."""
    form = service.CandidateForm(
        full_name=full_name, gender=gender, rank=rank, service=service_name, languages=languages, notes=notes
    )
    return _change(
        request,
        session,
        user,
        offer,
        "nominate",
        lambda: service.nominate(session, user=user, offer=offer, form=form),
        f"/training/{offer.id}?notice=nominated#nominations",
        candidate=form,
    )


@router.post("/training/nominations/{nomination_id}/move", response_model=None)
def move(user: FocalPoint, found: NominationFromPath, session: SessionDep, direction: Text = "up") -> Response:
    """Moves a candidate up or down the state's order of preference."""
    nomination, offer = found
    service.move(session, user=user, nomination=nomination, offer=offer, up=direction == "up")
    return RedirectResponse(f"/training/{offer.id}?notice=moved#nominations", status_code=303)


@router.post("/training/nominations/{nomination_id}/withdraw", response_model=None)
def withdraw(found: NominationFromPath, session: SessionDep, user: CurrentUser) -> Response:
    """Withdraws a candidate; a seat they held goes to the waiting list."""
    nomination, offer = found
    service.withdraw(session, get_settings(), user=user, nomination=nomination, offer=offer)
    return RedirectResponse(f"/training/{offer.id}?notice=withdrawn#nominations", status_code=303)


def _by_id(fields: dict[str, str], prefix: str) -> dict[int, str]:
    """The fields named <prefix>-<id> (decision-12, reason-12, outcome-12, on-12), by id."""
    found = {}
    for key, value in fields.items():
        kind, _, number = key.partition("-")
        if kind == prefix and number.isdigit():
            found[int(number)] = value
    return found


@router.get("/training/{offer_id}/allocation", response_class=HTMLResponse)
def allocation_preview(request: Request, user: Member, offer: OfferFromPath, session: SessionDep) -> HTMLResponse:
    """The allocation with the choices made but not confirmed: seats taken and the women's share it would give."""
    if not service.manages(user, offer):
        raise DomainError(N_("Only the course provider, coordinators and admins may do this."), status_code=403)
    fields = dict(request.query_params)
    decisions, reasons = _by_id(fields, "decision"), _by_id(fields, "reason")
    return _offer_page(
        request, session, user, offer, decisions=decisions, reasons=reasons, partial="training/_projection.html"
    )


@router.post("/training/{offer_id}/allocation", response_model=None)
def allocate(request: Request, user: Member, offer: OfferFromPath, session: SessionDep, form: Posted) -> Response:
    """Confirms the provider's decisions."""
    decisions, reasons = _by_id(form, "decision"), _by_id(form, "reason")
    return _change(
        request,
        session,
        user,
        offer,
        "allocation",
        lambda: service.allocate(session, get_settings(), user=user, offer=offer, decisions=decisions, reasons=reasons),
        f"/training/{offer.id}?notice=allocated#allocation",
        decisions=decisions,
        reasons=reasons,
    )


@router.post("/training/{offer_id}/outcomes", response_model=None)
def outcomes(request: Request, user: Member, offer: OfferFromPath, session: SessionDep, form: Posted) -> Response:
    """Records completion and assessment outcomes with their dates."""
    days = _by_id(form, "on")
    found = {key: (outcome, days.get(key, "")) for key, outcome in _by_id(form, "outcome").items()}
    return _change(
        request,
        session,
        user,
        offer,
        "outcomes",
        lambda: service.record_outcomes(session, user=user, offer=offer, outcomes=found),
        f"/training/{offer.id}?notice=outcomes#outcomes",
    )


@router.get("/training/{offer_id}/nominations.csv", response_model=None)
def export(user: Member, offer: OfferFromPath, session: SessionDep) -> Response:
    """The offer's nominations as a CSV file, for the provider."""
    text = service.nominations_csv(session, user=user, offer=offer, language=current_language.get())
    return csv_response(text, f"nominations-{offer.id}.csv")


@router.get("/training/nominations/{nomination_id}", response_class=HTMLResponse)
def candidate(
    request: Request, found: NominationFromPath, session: SessionDep, user: CurrentUser, notice: str = ""
) -> HTMLResponse:
    """A candidate's details and the decisions on their nomination."""
    nomination, offer = found
    return render(
        request,
        "training/candidate.html",
        {
            "nomination": nomination,
            "offer": offer,
            "state": members.state(session, nomination.state_id),
            "history": service.history(session, nomination),
            "change_labels": NOMINATION_EVENTS,
            "may_withdraw": service.withdrawable(user, offer, nomination),
            "notice": NOTICES.get(notice),
            "language_labels": LANGUAGES,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/training/nominations/{nomination_id}/erase", response_model=None)
def erase(found: NominationFromPath, session: SessionDep, user: CurrentUser) -> Response:
    """Erases the candidate's personal data; the anonymous counts stay."""
    nomination, offer = found
    service.erase(session, user=user, nomination=nomination, offer=offer)
    return RedirectResponse(f"/training/nominations/{nomination.id}?notice=erased", status_code=303)
