"""Meetings pages: the list, scheduling and finding a time, one meeting's page and its forms,
documents, and calendar files and feeds."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import Coordinator, CurrentUser, Member, VisitorDep, public
from app.auth.models import User
from app.core import paging, region
from app.core.config import get_settings
from app.core.db import SessionDep, id_of
from app.core.errors import DomainError, NotFound
from app.core.formats import zone_info
from app.core.i18n import N_, current_language, gettext
from app.core.web import CONFIRMED, Confirmation, confirm_first, error_text, form_action, render
from app.decisions import section as decisions
from app.governance import service as governance
from app.governance.models import Body, WorkingGroup
from app.meetings import documents, queries, service, text, timing
from app.meetings.models import (
    ACTION_STATUSES,
    AGENDA_STATUSES,
    ANSWERS,
    FORMATS,
    PARTS,
    ActionItem,
    Invitation,
    Meeting,
    MeetingSeries,
)
from app.members import queries as member_queries
from app.members.models import MemberState

router = APIRouter()
Text = Annotated[str, Form(max_length=10_000)]
LongText = Annotated[str, Form(max_length=service.MINUTES_LIMIT)]
CALENDAR_TYPE = "text/calendar; charset=utf-8"

NOTICES = {
    "created": N_("The meeting has been scheduled."),
    "series-created": N_("The series has been created."),
    "generated": N_("The series' next meetings have been scheduled."),
    "moved": N_("The meeting has been moved; the invited receive the change."),
    "cancelled": N_("The meeting has been cancelled; the invited receive the cancellation."),
    "invited": N_("The invitations have been sent."),
    "answered": N_("Your answer has been recorded."),
    "agenda": N_("The agenda has been updated."),
    "uploaded": N_("The document has been added."),
    "attendance": N_("The attendance has been recorded."),
    "minutes": N_("The minutes have been saved."),
    "publication": N_("The publication settings have been saved."),
    "action": N_("The action item has been saved."),
    "reminders": N_("The reminder days have been saved."),
    "feed": N_("Your calendar link is ready."),
    "feed-revoked": N_("Your calendar link no longer works."),
}


def meeting_from_path(meeting_id: int, session: SessionDep, user: CurrentUser) -> tuple[Meeting, service.Access]:
    return service.get_meeting(session, meeting_id, user=user)


MeetingFromPath = Annotated[tuple[Meeting, service.Access], Depends(meeting_from_path)]


def series_from_path(series_id: int, session: SessionDep) -> MeetingSeries:
    series = queries.series(session, series_id)
    if series is None:
        raise NotFound(N_("No such meeting series."))
    return series


SeriesFromPath = Annotated[MeetingSeries, Depends(series_from_path)]


def _owners(bodies: list[Body], groups: list[WorkingGroup], language: str) -> tuple[dict[int, str], dict[int, str]]:
    """The names of bodies and working groups, by id."""
    return {id_of(body): body.name(language) for body in bodies}, {id_of(group): group.name for group in groups}


def _owner_name(meeting: Meeting, bodies: dict[int, str], groups: dict[int, str]) -> str | None:
    if meeting.body_id:
        return bodies.get(meeting.body_id)
    return groups.get(meeting.working_group_id) if meeting.working_group_id else None


UPCOMING = PAST = 20  # meetings per page of each list on /meetings: light on a slow link, the rest a link away


@router.get("/meetings", response_class=HTMLResponse)
def meetings(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    notice: str = "",
    upcoming_page: str = "",
    past_page: str = "",
) -> HTMLResponse:
    """Upcoming and past meetings the user may see, in their own time, each list a page at a time."""
    language = current_language.get()
    later, earlier = paging.page_number(upcoming_page), paging.page_number(past_page)
    coming, coming_pages = paging.cut(
        request,
        service.upcoming(session, user=user, limit=UPCOMING + 1, skip=paging.offset(later, UPCOMING)),
        later,
        name="upcoming_page",
        anchor="upcoming-heading",
        size=UPCOMING,
    )
    gone, past_pages = paging.cut(
        request,
        service.past(session, user=user, limit=PAST + 1, skip=paging.offset(earlier, PAST)),
        earlier,
        name="past_page",
        anchor="past-heading",
        size=PAST,
    )
    series = queries.all_series(session) if governance.coordinates(user) else []
    every_body, every_group = queries.bodies_and_groups(session)
    bodies, groups = _owners(every_body, every_group, language)
    return render(
        request,
        "meetings/page.html",
        {
            "upcoming": coming,
            "upcoming_pages": coming_pages,
            "past": gone,
            "past_pages": past_pages,
            "series": series,
            "bodies": bodies,
            "groups": groups,
            "answers": service.answers_of(session, user=user, meeting_ids=[id_of(m) for m in coming]),
            "dormant": governance.dormancy_among(get_settings(), every_body, every_group),
            "zone": timing.reading_zone(user.time_zone),
            "runs": governance.coordinates(user),
            "notice": NOTICES.get(notice),
        },
    )


def _schedule_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    status: int = 200,
    error: str = "",
    values: dict[str, object] | None = None,
    choices: tuple[timing.LocalChoice, ...] = (),
    choice_form: str = "",
) -> HTMLResponse:
    settings = get_settings()
    language = current_language.get()
    active = [
        body
        for body, is_active in governance.list_bodies(session, settings, user=user)
        if is_active and body.kind == "network"
    ]
    return render(
        request,
        "meetings/new.html",
        {
            "bodies": active,
            "groups": governance.list_working_groups(session, settings, user=user),
            "zones": region.time_zones(settings.seeds_dir),
            "formats": FORMATS,
            "states": service.places(session, language=language),
            "error": error,
            "values": values or {},
            "series_list": queries.all_series(session),
            "choices": choices,
            "choice_form": choice_form,
        },
        status_code=status,
    )


@router.get("/meetings/new", response_class=HTMLResponse)
def new_meeting(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    day: str = "",
    start: str = "",
    host_zone: str = "",
    duration: str = "",
    states: Annotated[list[int], Query()] = [],  # noqa: B006
    series: str = "",
) -> HTMLResponse:
    """Forms to schedule a meeting or to start a series; a slot found by "Find a time" fills the first."""
    given = {"day": day, "start": start, "host_zone": host_zone, "duration": duration, "state_ids": states}
    values: dict[str, object] = {key: value for key, value in given.items() if value}
    joined = queries.series(session, int(series)) if series.isdigit() else None
    if joined is not None:
        values |= {
            "series_id": joined.id,
            "title": joined.title_en,
            "title_fr": joined.title_fr,
            "owner": _owner_value(session, joined),
        }
    return _schedule_page(request, session, user, values=values)


def _owner_value(session: SessionDep, series: MeetingSeries) -> str:
    """The owner select's value for the series' body or working group."""
    if series.working_group_id is not None:
        return f"group:{series.working_group_id}"
    body = queries.body(session, series.body_id) if series.body_id is not None else None
    return f"body:{body.key}" if body is not None else ""


def _owner_field(value: str) -> tuple[str, int | None]:
    """'body:KEY' or 'group:ID' from the owner select."""
    kind, _, key = value.partition(":")
    if kind == "group" and key.isdigit():
        return "", int(key)
    return (key, None) if kind == "body" else ("", None)


@router.post("/meetings", response_model=None)
def create_meeting(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    title: Text = "",
    title_fr: Text = "",
    owner: Text = "",
    day: Text = "",
    start: Text = "",
    duration: Text = "",
    host_zone: Text = "",
    format: Text = "",
    venue: Text = "",
    city: Text = "",
    host_state: Text = "",
    link: Text = "",
    states: Annotated[list[int], Form()] = [],  # noqa: B006
    series: Text = "",
    pick: Text = "",
    chosen: Text = "",
) -> Response:
    """Schedules a meeting, on its own or joining a series; the states ticked are invited, or else the member
    states of its body or group. A time that does not exist or happens twice at the host is refused with the
    valid readings offered, each a button that sends the form again with it."""
    body_key, group_id = _owner_field(owner)
    day, start, chosen = service.picked(day, start, pick, chosen)
    form = service.MeetingForm(
        title=title,
        title_fr=title_fr,
        day=day,
        start=start,
        duration=duration,
        host_zone=host_zone,
        format=format,
        body_key=body_key,
        working_group_id=group_id,
        venue=venue,
        city=city,
        host_state_code=host_state,
        link=link,
        series_id=int(series) if series.isdigit() else None,
        state_ids=tuple(states),
        chosen=chosen,
    )
    # Not form_action(): the refusal page needs the error itself, for the readings of an ambiguous time to pick.
    try:
        meeting = service.create_meeting(session, get_settings(), user=user, form=form)
    except DomainError as error:
        session.rollback()
        return _schedule_page(
            request,
            session,
            user,
            status=error.status_code,
            error=error_text(error),
            values=vars(form) | {"owner": owner},
            choices=timing.choices_of(error),
            choice_form="meeting-form",
        )
    return RedirectResponse(f"/meetings/{meeting.id}?notice=created", status_code=303)


@router.post("/meetings/series", response_model=None)
def create_series(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    title: Text = "",
    title_fr: Text = "",
    owner: Text = "",
    local_start: Text = "",
    duration: Text = "",
    host_zone: Text = "",
    first_day: Text = "",
    format: Text = "virtual",
    link: Text = "",
    venue: Text = "",
    city: Text = "",
    cadence: Text = "quarterly",
    repeat_every: Text = "",
    repeat_unit: Text = "",
    host_state: Text = "",
    pick: Text = "",
    chosen: Text = "",
) -> Response:
    """Starts a series: a quarterly one with its first four meetings, a custom one with its first. A reading
    picked after a refusal changes the local time of every meeting of the series, not its first date."""
    body_key, group_id = _owner_field(owner)
    settings = get_settings()
    if timing.parse_pick(pick) is not None:
        local_start, chosen = service.picked(first_day, local_start, pick, chosen)[1:]
    # Not form_action(): the refusal page needs the error itself, for the readings of an ambiguous time to pick.
    try:
        service.create_series(
            session,
            settings,
            user=user,
            title=title,
            title_fr=title_fr,
            body_key=body_key,
            working_group_id=group_id,
            host_zone=host_zone,
            local_start=local_start,
            duration=duration,
            first_day=first_day,
            format=format,
            link=link,
            venue=venue,
            city=city,
            cadence=cadence,
            repeat_every=repeat_every,
            repeat_unit=repeat_unit,
            host_state=host_state,
            chosen=chosen,
        )
    except DomainError as error:
        session.rollback()
        return _schedule_page(
            request,
            session,
            user,
            status=error.status_code,
            error=error_text(error),
            values={
                "title": title,
                "title_fr": title_fr,
                "owner": owner,
                "start": local_start,
                "duration": duration,
                "host_zone": host_zone,
                "host_state_code": host_state,
                "day": first_day,
                "format": format,
                "link": link,
                "cadence": cadence,
                "repeat_every": repeat_every,
                "repeat_unit": repeat_unit,
                "chosen": chosen,
            },
            choices=timing.choices_of(error),
            choice_form="series-form",
        )
    return RedirectResponse("/meetings?notice=series-created", status_code=303)


def _next_page(
    request: Request,
    series: MeetingSeries,
    held: list[Meeting],
    values: dict[str, str],
    *,
    status: int = 200,
    error: str = "",
    choices: tuple[timing.LocalChoice, ...] = (),
    reminder_error: str = "",
    reminder_value: str | None = None,
    notice: str = "",
) -> HTMLResponse:
    return render(
        request,
        "meetings/next.html",
        {
            "series": series,
            "reminder_error": reminder_error,
            "reminder_value": (
                reminder_value if reminder_value is not None else ", ".join(series.reminder_days.split())
            ),
            "notice": NOTICES.get(notice),
            "latest": held[-1] if held else None,
            "values": values,
            "formats": FORMATS,
            "error": error,
            "choices": [choice for choice in choices if choice.local.strftime("%H:%M") == series.local_start],
            "choice_form": "next-form",
        },
        status_code=status,
    )


@router.get("/meetings/series/{series_id}/next", response_class=HTMLResponse)
def next_meetings(
    request: Request, user: Coordinator, series: SeriesFromPath, session: SessionDep, notice: str = ""
) -> HTMLResponse:
    """The form to schedule a series' next meetings: its first day proposed, the place of the latest meeting."""
    service.check_series_open(session, get_settings(), series)
    held = service.series_meetings(session, series)
    day = service.next_day(session, get_settings(), series)
    values = {"day": day.isoformat() if day else "", "format": "virtual"}
    if held:
        latest = held[-1]
        values |= {"format": latest.format, "link": latest.link, "venue": latest.venue, "city": latest.city}
    return _next_page(request, series, held, values, notice=notice)


@router.post("/meetings/series/{series_id}/next", response_model=None)
def generate(
    request: Request,
    user: Coordinator,
    series: SeriesFromPath,
    session: SessionDep,
    format: Text = "virtual",
    link: Text = "",
    venue: Text = "",
    city: Text = "",
    day: Text = "",
    pick: Text = "",
    chosen: Text = "",
) -> Response:
    """Schedules a quarterly series' next four meetings, or a custom series' next one, from the day given; a
    meeting falling in an hour lived twice at the host is held in the reading picked."""
    if timing.parse_pick(pick) is not None:
        chosen = pick.strip()
    # Not form_action(): the refusal page needs the error itself, for the readings of an ambiguous time to pick.
    try:
        added = service.next_occurrences(
            session,
            get_settings(),
            user=user,
            series=series,
            first_day=day,
            format=format,
            link=link,
            venue=venue,
            city=city,
            chosen=chosen,
        )
    except DomainError as error:
        session.rollback()
        values = {"day": day, "format": format, "link": link, "venue": venue, "city": city, "chosen": chosen}
        held = service.series_meetings(session, series)
        return _next_page(
            request,
            series,
            held,
            values,
            status=error.status_code,
            error=error_text(error),
            choices=timing.choices_of(error),
        )
    if series.cadence == "quarterly":
        return RedirectResponse("/meetings?notice=generated", status_code=303)
    return RedirectResponse(f"/meetings/{added[0].id}?notice=created", status_code=303)


@router.post("/meetings/series/{series_id}/reminders", response_model=None)
def series_reminders(
    request: Request, user: Coordinator, series: SeriesFromPath, session: SessionDep, reminder_days: Text = ""
) -> Response:
    """Sets how many days before each meeting of the series its reminders go."""

    def refused(message: str, status: int) -> Response:
        held = service.series_meetings(session, series)
        day = service.next_day(session, get_settings(), series)
        return _next_page(
            request,
            series,
            held,
            {"day": day.isoformat() if day else "", "format": "virtual"},
            status=status,
            reminder_error=message,
            reminder_value=reminder_days,
        )

    return form_action(
        session,
        lambda: service.set_reminder_days(session, user=user, series=series, days=reminder_days),
        lambda _: RedirectResponse(f"/meetings/series/{series.id}/next?notice=reminders#reminders", status_code=303),
        refused,
    )


@router.get("/meetings/find-time", response_class=HTMLResponse)
def find_time(
    request: Request,
    session: SessionDep,
    user: Coordinator,
    states: Annotated[list[int], Query()] = [],  # noqa: B006
    first: str = "",
    last: str = "",
    zone: str = "",
    duration: str = "120",
    series: str = "",
) -> HTMLResponse:
    """Candidate slots for the chosen states, ranked by how many have them inside working hours."""
    settings = get_settings()
    language = current_language.get()
    everyone = service.places(session, language=language)
    slots: list[timing.Slot] = []
    carried: list[timing.Place] = []
    error, status = "", 200
    chosen = [place for place in everyone if place.state_id in states]
    shown_zone = zone or "UTC"
    if first or last or states:
        try:
            slots, carried = service.find_time(
                session,
                settings,
                state_ids=states,
                first=first,
                last=last,
                zone=shown_zone,
                duration=duration,
                series_id=int(series) if series.isdigit() else None,
                language=language,
            )
        except DomainError as error_:
            error, status = error_text(error_), error_.status_code
    return render(
        request,
        "meetings/find_time.html",
        {
            "places": everyone,
            "chosen": chosen,
            "zone": shown_zone,
            "slots": [(slot, _slot_link(slot, shown_zone, chosen, series)) for slot in slots],
            "carried": carried,
            "error": error,
            "values": {"first": first, "last": last, "zone": zone, "duration": duration, "series": series},
            "zones": region.time_zones(settings.seeds_dir),
            "hours": settings.working_hours,
            "series_list": queries.all_series(session),
            "default_zone": user.time_zone,
        },
        status_code=status,
        partial="meetings/_slots.html",
    )


def _slot_link(slot: timing.Slot, zone: str, chosen: list[timing.Place], series: str) -> str:
    """The scheduling form's address filled with a found slot: its day and start in `zone`, which hosts it."""
    local = slot.starts_at.astimezone(zone_info(zone))
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    query = [("day", local.date().isoformat()), ("start", local.strftime("%H:%M")), ("host_zone", zone)]
    query += [("duration", str(minutes)), *(("states", str(place.state_id)) for place in chosen)]
    if series.isdigit():
        query.append(("series", series))
    return f"/meetings/new?{urlencode(query)}"


def _meeting_page(
    request: Request,
    session: SessionDep,
    user: User,
    meeting: Meeting,
    rights: service.Access,
    *,
    status: int = 200,
    notice: str = "",
    errors: dict[str, str] | None = None,
    typed: dict[str, dict[str, str]] | None = None,
    move_values: dict[str, str] | None = None,
    choices: tuple[timing.LocalChoice, ...] = (),
) -> HTMLResponse:
    """The meeting page; after a refusal, `errors` and `typed` hold each refused form's message and what was typed
    in it."""
    language = current_language.get()
    settings = get_settings()
    agenda = service.agenda(session, meeting)
    items, members_only_items = service.visible_agenda(agenda, attributions=rights.attributions)
    current, versions = service.minutes(session, meeting) if rights.attributions else (None, 0)
    invited = queries.invited_state_ids(session, meeting)
    all_answers = queries.answers(session, meeting) if rights.runs else []
    states = member_queries.member_states(session)
    names = {id_of(state): state.name(language) for state in states}
    every_body, every_group = queries.bodies_and_groups(session)
    bodies, groups = _owners(every_body, every_group, language)
    everyone = [service.place(state, language) for state in states if state.id in invited]
    hours, days_off = timing.WorkingHours.from_settings(settings), timing.holidays(settings.seeds_dir)
    outside = {
        place.state_id: timing.why_outside(place, meeting.starts_at, hours, days_off)
        for place in timing.outside_hours(everyone, meeting.starts_at, meeting.ends_at, hours, days_off)
    }
    attendance = service.attendance(session, meeting) if rights.attributions else {}
    actions, review = _actions_shown(session, meeting, rights)
    observers, reached = queries.observers_and_reached(session, invited) if rights.runs else ([], set())
    context = {
        "meeting": meeting,
        "rights": rights,
        "agenda": items,
        "members_only_items": members_only_items,
        "zone": timing.reading_zone(user.time_zone),
        "minutes": text.render(current.text) if current else None,
        "minutes_source": current.text if current else "",
        "minutes_versions": versions,
        "minutes_at": current.written_at if current else None,
        "summary": text.render(meeting.summary) if meeting.summary else None,
        "invited": everyone,
        "outside": outside,
        "names": names,
        "members": rights.members if rights.members is not None else service.member_states(session, meeting),
        "invitation": _own_invitation(session, user, meeting, all_answers, rights),
        "ended": service.has_ended(meeting),
        "all_answers": all_answers,
        "unreachable": [state for state in states if state.id in invited and state.id not in reached]
        if rights.runs
        else [],
        "documents": service.visible_documents(session, meeting, rights),
        "attendance": attendance,
        "actions": actions,
        "review": review,
        "owner_name": _owner_name(meeting, bodies, groups),
        "held_dormant": governance.dormancy_among(settings, every_body, every_group).holds(meeting),
        "host_state": names.get(meeting.host_state_id) if meeting.host_state_id else "",
        "formats": FORMATS,
        "parts": PARTS,
        "answers": ANSWERS,
        "agenda_statuses": AGENDA_STATUSES,
        "action_statuses": ACTION_STATUSES,
        "zones": region.time_zones(settings.seeds_dir),
        "all_states": [service.place(state, language) for state in states] if rights.runs else [],
        "observers": observers,
        "notice": NOTICES.get(notice),
        "errors": errors or {},
        "typed_in": typed or {},
        "max_size": settings.upload_max_bytes,
        "local_start": meeting.starts_at.astimezone(zone_info(meeting.host_zone)),
        "move_values": move_values,
        "choices": choices,
        "choice_form": "move-form",
        "confirm_times": notice in ("created", "moved"),
        "host_state_zone": _host_state_zone(states, meeting),
        "decisions": decisions.meeting_section(
            session,
            user,
            meeting,
            rights=rights,
            agenda=agenda,
            states=states,
            bodies=every_body,
            groups=every_group,
            attendance=attendance if rights.attributions else None,
        ),
    }
    return render(request, "meetings/detail.html", context, status_code=status)


def _own_invitation(
    session: SessionDep,
    user: User,
    meeting: Meeting,
    all_answers: list[tuple[Invitation, User]],
    rights: service.Access,
) -> Invitation | None:
    """The viewer's own invitation, found among every answer when the page shows them."""
    if rights.runs:
        return next((invitation for invitation, _ in all_answers if invitation.user_id == user.id), None)
    return service.answers_of(session, user=user, meeting_ids=[id_of(meeting)]).get(id_of(meeting))


def _actions_shown(
    session: SessionDep, meeting: Meeting, rights: service.Access
) -> tuple[list[ActionItem], list[ActionItem]]:
    """The action items shown and those reviewed: for its body's members, every item the meeting raised and the
    open ones of earlier meetings; a focal point of another state sees (and updates) their own state's items only."""
    if rights.attributions:
        return service.raised_and_reviewed(session, meeting)
    if rights.state_id is None:
        return [], []
    return service.action_items(session, meeting, owner_state_id=rights.state_id), []


def _host_state_zone(states: list[MemberState], meeting: Meeting) -> str:
    """The zone of the meeting's host state, offered as 'same as the host state' when moving it; '' for none."""
    state = next((state for state in states if state.id == meeting.host_state_id), None)
    return state.time_zones[0] if state is not None and state.time_zones else ""


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(
    request: Request, user: CurrentUser, found: MeetingFromPath, session: SessionDep, notice: str = ""
) -> HTMLResponse:
    """One meeting, in the viewer's time and the host's; members see the members-only parts."""
    meeting, rights = found
    return _meeting_page(request, session, user, meeting, rights, notice=notice)


def _act(
    request: Request,
    session: SessionDep,
    user: User,
    found: tuple[Meeting, service.Access],
    form: str,
    action,
    notice: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """Runs a change; on a refusal, shows the meeting page again with the message beside the form and, in it, what
    was `typed`. A member refused a change for lack of rights (403) still reads the meeting, so the page says why
    beside the form too."""
    meeting, rights = found

    def refused(message: str, status: int) -> Response:
        session.refresh(meeting)
        return _meeting_page(
            request, session, user, meeting, rights, status=status, errors={form: message}, typed={form: typed or {}}
        )

    return form_action(
        session,
        action,
        lambda _: RedirectResponse(f"/meetings/{meeting.id}?notice={notice}#{form}", status_code=303),
        refused,
        on_page=(403,),
    )


@router.post("/meetings/{meeting_id}/move", response_model=None)
def move(
    request: Request,
    user: Coordinator,
    found: MeetingFromPath,
    session: SessionDep,
    day: Text = "",
    start: Text = "",
    duration: Text = "",
    host_zone: Text = "",
    pick: Text = "",
    chosen: Text = "",
) -> Response:
    """Moves this meeting only; the invited receive an updated calendar entry. A refusal shows the form with what
    was typed, and for a time that does not exist or happens twice at the host, the valid readings to pick."""
    meeting, rights = found
    day, start, chosen = service.picked(day, start, pick, chosen)
    # Not form_action(): the refusal page needs the error itself, for the readings of an ambiguous time to pick.
    try:
        service.move_meeting(
            session,
            get_settings(),
            user=user,
            meeting=meeting,
            day=day,
            start=start,
            duration=duration,
            host_zone=host_zone,
            chosen=chosen,
        )
    except DomainError as error:
        session.rollback()
        if error.status_code == 404:
            raise
        session.refresh(meeting)
        typed = {"day": day, "start": start, "duration": duration, "host_zone": host_zone, "chosen": chosen}
        return _meeting_page(
            request,
            session,
            user,
            meeting,
            rights,
            status=error.status_code,
            errors={"schedule": error_text(error)},
            move_values=typed,
            choices=timing.choices_of(error),
        )
    return RedirectResponse(f"/meetings/{meeting.id}?notice=moved#schedule", status_code=303)


@router.post("/meetings/{meeting_id}/cancel", response_model=None)
def cancel(
    request: Request, user: Coordinator, found: MeetingFromPath, session: SessionDep, confirmed: Text = ""
) -> Response:
    """Cancels this meeting only, once confirmed; the invited receive a cancellation."""
    meeting = found[0]
    if confirmed != CONFIRMED and not meeting.cancelled:
        language = current_language.get()
        return confirm_first(
            request,
            Confirmation(
                question=gettext("Cancel “%(title)s”?") % {"title": meeting.title(language)},
                consequence=gettext(
                    "The meeting stays in the records as cancelled; the other meetings of its series are not changed."
                ),
                told=[
                    f"{person.display_name} <{person.email}>"
                    for person in service.told_of_cancellation(session, meeting)
                ],
                button=gettext("Cancel the meeting"),
                action=f"/meetings/{meeting.id}/cancel",
                back=f"/meetings/{meeting.id}#schedule",
            ),
        )
    return _act(
        request,
        session,
        user,
        found,
        "schedule",
        lambda: service.cancel_meeting(session, get_settings(), user=user, meeting=found[0]),
        "cancelled",
    )


@router.post("/meetings/{meeting_id}/invitations", response_model=None)
def invite(
    request: Request,
    user: Coordinator,
    found: MeetingFromPath,
    session: SessionDep,
    states: Annotated[list[int], Form()] = [],  # noqa: B006
    observers: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:
    """Invites states' focal points and observers, and emails the invitation with its calendar entry."""
    return _act(
        request,
        session,
        user,
        found,
        "invitations",
        lambda: service.invite(
            session, get_settings(), user=user, meeting=found[0], state_ids=states, observer_ids=observers
        ),
        "invited",
    )


@router.post("/meetings/{meeting_id}/answer", response_model=None)
def answer(
    request: Request,
    user: CurrentUser,
    found: MeetingFromPath,
    session: SessionDep,
    reply: Text = "",
    delegate_name: Text = "",
    delegate_email: Text = "",
) -> Response:
    """The invited person answers: attending, not attending, or delegating to a named colleague."""
    return _act(
        request,
        session,
        user,
        found,
        "answer",
        lambda: service.answer(
            session,
            user=user,
            meeting=found[0],
            reply=reply,
            delegate_name=delegate_name,
            delegate_email=delegate_email,
        ),
        "answered",
    )


@router.post("/meetings/{meeting_id}/agenda", response_model=None)
def add_item(
    request: Request,
    user: Coordinator,
    found: MeetingFromPath,
    session: SessionDep,
    title: Text = "",
    presenter: Text = "",
    duration: Text = "",
    part: Text = "members",
) -> Response:
    """Adds an item at the end of the agenda."""
    return _act(
        request,
        session,
        user,
        found,
        "agenda",
        lambda: service.add_agenda_item(
            session, user=user, meeting=found[0], title=title, presenter=presenter, duration=duration, part=part
        ),
        "agenda",
        typed={"title": title, "presenter": presenter, "duration": duration, "part": part},
    )


@router.post("/meetings/{meeting_id}/agenda/{item_id}", response_model=None)
def change_item(
    request: Request, user: Coordinator, found: MeetingFromPath, item_id: int, session: SessionDep, action: Text = ""
) -> Response:
    """Moves an agenda item up or down, or removes it."""
    if action == "remove":

        def change() -> None:
            service.remove_agenda_item(session, user=user, meeting=found[0], item_id=item_id)
    else:

        def change() -> None:
            service.move_agenda_item(session, user=user, meeting=found[0], item_id=item_id, direction=action)

    return _act(request, session, user, found, "agenda", change, "agenda")


@router.post("/meetings/{meeting_id}/agenda-status", response_model=None)
def advance_agenda(request: Request, user: Coordinator, found: MeetingFromPath, session: SessionDep) -> Response:
    """Circulates the draft agenda (the invited are notified), or makes a circulated agenda final."""
    return _act(
        request,
        session,
        user,
        found,
        "agenda",
        lambda: service.advance_agenda(session, get_settings(), user=user, meeting=found[0]),
        "agenda",
    )


@router.post("/meetings/{meeting_id}/documents", response_model=None)
def upload(
    request: Request,
    user: Member,
    found: MeetingFromPath,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    part: Annotated[str, Form(max_length=20)] = "members",
    agenda_item: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A coordinator attaches a file; a member state's focal point posts the state's written update."""
    limit = get_settings().upload_max_bytes
    content = file.file.read(limit + 1) if file is not None else b""
    filename = (file.filename or "") if file is not None else ""
    return _act(
        request,
        session,
        user,
        found,
        "documents",
        lambda: service.upload(
            session,
            get_settings(),
            user=user,
            meeting=found[0],
            rights=found[1],
            filename=filename,
            content=content,
            part=part,
            agenda_item_id=int(agenda_item) if agenda_item.isdigit() else None,
        ),
        "uploaded",
    )


@router.get("/meetings/{meeting_id}/documents/{document_id}", response_model=None)
def download(user: CurrentUser, found: MeetingFromPath, document_id: int, session: SessionDep) -> Response:
    """A document, always as a download (never shown inline), if the viewer may read it."""
    document = service.get_document(session, found[0], found[1], document_id)
    content = documents.file_path(get_settings(), document.sha256).read_bytes()
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": documents.attachment_header(document.filename),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/meetings/{meeting_id}/attendance", response_model=None)
def attendance(
    request: Request,
    user: Coordinator,
    found: MeetingFromPath,
    session: SessionDep,
    present: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:
    """Records which invited states attended."""
    return _act(
        request,
        session,
        user,
        found,
        "attendance",
        lambda: service.record_attendance(session, user=user, meeting=found[0], present_state_ids=present),
        "attendance",
    )


@router.post("/meetings/{meeting_id}/minutes", response_model=None)
def minutes(
    request: Request, user: Coordinator, found: MeetingFromPath, session: SessionDep, minutes_text: LongText = ""
) -> Response:
    """Saves the minutes (Markdown) as a new version."""
    return _act(
        request,
        session,
        user,
        found,
        "minutes",
        lambda: service.save_minutes(session, user=user, meeting=found[0], text=minutes_text),
        "minutes",
    )


@router.post("/meetings/{meeting_id}/publication", response_model=None)
def publication(
    request: Request,
    user: Coordinator,
    found: MeetingFromPath,
    session: SessionDep,
    summary: Text = "",
    publish: Text = "",
    chatham_house: Text = "",
) -> Response:
    """The public summary and whether it is published; the Chatham House rule for this meeting."""
    return _act(
        request,
        session,
        user,
        found,
        "publication",
        lambda: service.set_publication(
            session,
            user=user,
            meeting=found[0],
            summary=summary,
            publish=publish == "on",
            chatham_house=chatham_house == "on",
        ),
        "publication",
    )


@router.post("/meetings/{meeting_id}/action-items", response_model=None)
def add_action(
    request: Request,
    user: Coordinator,
    found: MeetingFromPath,
    session: SessionDep,
    owner_state: Text = "",
    action_text: Text = "",
    due_on: Text = "",
) -> Response:
    """Records an action item raised at this meeting."""
    return _act(
        request,
        session,
        user,
        found,
        "actions",
        lambda: service.add_action_item(
            session,
            user=user,
            meeting=found[0],
            owner_state_id=int(owner_state) if owner_state.isdigit() else 0,
            text=action_text,
            due_on=due_on,
        ),
        "action",
        typed={"owner_state": owner_state, "action_text": action_text, "due_on": due_on},
    )


@router.post("/meetings/{meeting_id}/action-items/{action_id}", response_model=None)
def change_action(
    request: Request,
    user: Member,
    found: MeetingFromPath,
    action_id: int,
    session: SessionDep,
    status: Text = "",
    note: Text = "",
) -> Response:
    """The owner state's focal point or a coordinator updates an action item's status."""
    return _act(
        request,
        session,
        user,
        found,
        "actions",
        lambda: service.change_action_item(
            session, user=user, meeting=found[0], item_id=action_id, status=status, note=note
        ),
        "action",
    )


@router.get("/meetings/{meeting_id}/calendar.ics", response_model=None)
def meeting_ics(user: CurrentUser, found: MeetingFromPath, session: SessionDep) -> Response:
    """This meeting as a calendar entry."""
    return Response(
        service.meeting_calendar(session, get_settings(), found[0], user=user),
        media_type=CALENDAR_TYPE,
        headers={"Content-Disposition": f'attachment; filename="meeting-{found[0].id}.ics"'},
    )


@router.get("/calendar/{token}.ics", dependencies=[Depends(public)], response_model=None)
def feed(token: str, session: SessionDep) -> Response:
    """A user's private feed of their meetings; the secret in the URL is the credential."""
    return Response(
        service.feed_calendar(session, get_settings(), token=token),
        media_type=CALENDAR_TYPE,
        headers={"Cache-Control": "private, no-store"},
    )


@router.post("/meetings/calendar-feed", response_model=None)
def new_feed(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Makes a new private calendar link (the old one stops working) and shows it once."""
    token = service.new_feed(session, user=user)
    base = get_settings().base_url
    return render(
        request,
        "meetings/feed.html",
        {"url": f"{base}/calendar/{token}.ics", "training_url": f"{base}/training/calendar/{token}.ics"},
    )


@router.post("/meetings/calendar-feed/revoke", response_model=None)
def revoke_feed(session: SessionDep, user: CurrentUser) -> Response:
    """Stops the private calendar link from working."""
    service.revoke_feed(session, user=user)
    return RedirectResponse("/meetings?notice=feed-revoked", status_code=303)


# Answering from the invitation email, without signing in


def _link_page_context(found: service.LinkAnswer) -> dict[str, object]:
    meeting, person = found.meeting, found.person
    zone = timing.reading_zone(person.time_zone)
    return {
        "meeting": meeting,
        "reply": found.link.reply,
        "answers": ANSWERS,
        "own_time": timing.describe(meeting.starts_at, zone, current_language.get()),
        "host_time": timing.describe(meeting.starts_at, meeting.host_zone, current_language.get()),
        "person": person,
    }


@router.get("/answer/{token:path}", dependencies=[Depends(public)], response_class=HTMLResponse)
def answer_link_form(request: Request, token: str, session: SessionDep, visitor: VisitorDep) -> HTMLResponse:
    """What a one-click answer of an invitation email would record, with one button to confirm it: opening the
    link (as mail scanners do) changes nothing. Any path under /answer/ comes here, so a mangled link is told so."""
    found = service.open_answer_link(session, token=token, visitor=visitor.user)
    return render(
        request,
        "meetings/answer_link.html",
        {**_link_page_context(found), "token": token},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/answer/{token:path}", dependencies=[Depends(public)], response_class=HTMLResponse)
def answer_by_link(request: Request, token: str, session: SessionDep, visitor: VisitorDep) -> HTMLResponse:
    """Records the link's answer, by the same rule as the meeting page's answer, and says so."""
    found = service.answer_by_link(session, token=token, visitor=visitor.user)
    return render(
        request,
        "meetings/answer_link_done.html",
        _link_page_context(found),
        headers={"Cache-Control": "no-store"},
    )
