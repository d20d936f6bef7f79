"""Scheduling one meeting of a body or working group: places, zones and dates as a coordinator enters them,
finding a time that suits several states, and where and when the meeting is held."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core import clock, forms
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import DomainError, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.governance import service as governance
from app.governance.models import Body
from app.meetings import timing
from app.meetings.models import (
    FORMATS,
    Meeting,
    MeetingInvitee,
    MeetingSeries,
)
from app.meetings.service.invitations import chosen_states
from app.meetings.service.rights import invited_states, member_states, require_runner
from app.members.models import MemberState

TITLE_LIMIT = 200


def places(session: Session, state_ids: Sequence[int] | None = None, *, language: str = "en") -> list[timing.Place]:
    """States as the scheduler sees them, by English name: all, or those of `state_ids`."""
    query = select(MemberState).order_by(col(MemberState.name_en))
    if state_ids is not None:
        query = query.where(col(MemberState.id).in_(list(state_ids)))
    return [place(state, language) for state in session.exec(query).all()]


def place(state: MemberState, language: str) -> timing.Place:
    """A state as the scheduler sees it (the first zone of each state is its capital's)."""
    return timing.Place(
        id_of(state), state.code, state.name(language), state.time_zones[0] if state.time_zones else "UTC"
    )


def check_zone(zone: str) -> str:
    if not timing.known_zone(zone):
        raise DomainError(N_("Unknown time zone: %(zone)s. Choose one from the list."), zone=zone[:64])
    return zone


def parse_clock(value: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(N_("Give the time as HH:MM.")) from None


def parse_day(value: str) -> date:
    """A day typed into a meeting's form, refused in the meetings' own words."""
    return forms.parse_day(value, N_("Give the date as YYYY-MM-DD."))


def parse_duration(minutes: int | str) -> timedelta:
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        raise DomainError(N_("The duration must be a number of minutes.")) from None
    if not 15 <= value <= 24 * 60:
        raise DomainError(N_("A meeting lasts between 15 minutes and 24 hours."))
    return timedelta(minutes=value)


def burden(
    session: Session, series: MeetingSeries, settings: Settings, *, before: datetime | None = None, occurrences: int = 4
) -> tuple[dict[int, int], list[timing.Place]]:
    """How often each invited state met outside its working hours in the series' recent occurrences, and
    who carried it at the latest one."""
    query = (
        select(Meeting)
        .where(Meeting.series_id == series.id, Meeting.status == "scheduled")
        .order_by(col(Meeting.starts_at).desc())
        .limit(occurrences)
    )
    if before is not None:
        query = query.where(col(Meeting.starts_at) < before)
    recent = list(session.exec(query).all())
    if not recent:
        return {}, []
    invited = invited_states(session, [id_of(meeting) for meeting in recent])
    everyone = {place.state_id: place for place in places(session, sorted(set().union(*invited.values())))}
    hours, days_off = timing.WorkingHours.from_settings(settings), timing.holidays(settings.seeds_dir)
    counts: dict[int, int] = defaultdict(int)
    latest: list[timing.Place] = []
    for index, meeting in enumerate(recent):
        outside = timing.outside_hours(
            [everyone[i] for i in invited.get(id_of(meeting), set())],
            meeting.starts_at,
            meeting.ends_at,
            hours,
            days_off,
        )
        for place in outside:
            counts[place.state_id] += 1
        if index == 0:
            latest = outside
    return dict(counts), latest


def find_time(
    session: Session,
    settings: Settings,
    *,
    state_ids: Sequence[int],
    first: str,
    last: str,
    zone: str,
    duration: int | str,
    series_id: int | None = None,
    language: str = "en",
) -> tuple[list[timing.Slot], list[timing.Place]]:
    """Candidate slots for the states in a window of dates (in `zone`), and who carried the burden last."""
    if not state_ids:
        raise DomainError(N_("Choose at least one state."))
    start_day, end_day = parse_day(first), parse_day(last)
    if end_day < start_day:
        raise DomainError(N_("The window ends before it starts."))
    if (end_day - start_day).days >= timing.MAX_WINDOW_DAYS:
        raise DomainError(N_("Search a window of at most %(days)s days."), days=timing.MAX_WINDOW_DAYS)
    chosen = places(session, state_ids, language=language)
    carried: dict[int, int] = {}
    last_carried: list[timing.Place] = []
    if series_id is not None:
        series = session.get(MeetingSeries, series_id)
        if series is None:
            raise NotFound(N_("No such meeting series."))
        carried, last_carried = burden(
            session, series, settings, before=timing.to_utc(start_day, time(0), check_zone(zone))
        )
    slots = timing.find_slots(
        chosen,
        first=start_day,
        last=end_day,
        zone=check_zone(zone),
        duration=parse_duration(duration),
        hours=timing.WorkingHours.from_settings(settings),
        holidays_by_code=timing.holidays(settings.seeds_dir),
        burden=carried,
    )
    return slots, last_carried


@dataclass
class MeetingForm:
    """What a coordinator enters for a meeting; times are local to the host's zone."""

    title: str
    day: str
    start: str
    duration: int | str
    host_zone: str
    format: str
    body_key: str = ""
    working_group_id: int | None = None
    venue: str = ""
    city: str = ""
    host_state_code: str = ""
    link: str = ""
    title_fr: str = ""
    series_id: int | None = None
    state_ids: tuple[int, ...] = ()
    chosen: str = ""


def meeting_owner(
    session: Session, settings: Settings, *, body_key: str, working_group_id: int | None, user: User
) -> tuple[int | None, int | None]:
    """The body or working group a meeting or series belongs to; it must be active under the option."""
    if working_group_id:
        group = governance.get_working_group(session, settings, working_group_id, user=user)
        body = session.get(Body, group.body_id)
        if group.archived_at is not None or body is None or not governance.is_active(body, settings):
            raise DomainError(N_("This working group does not meet under the current option."))
        return None, group.id
    if not body_key:
        raise DomainError(N_("Choose the body or working group that meets."))
    body = governance.get_body(session, settings, body_key, user=user)
    if not governance.is_active(body, settings):
        raise DomainError(N_("This body does not meet under the current option."))
    return body.id, None


def checked_title(value: str) -> str:
    title = value.strip()
    if not title:
        raise DomainError(N_("Give the meeting a title."))
    if len(title) > TITLE_LIMIT:
        raise DomainError(N_("The title may have at most %(limit)s characters."), limit=TITLE_LIMIT)
    return title


def _where(session: Session, form: MeetingForm) -> tuple[str, str, str, int | None, str]:
    """Format, venue, city, host state and link, checked together."""
    if form.format not in FORMATS:
        raise DomainError(N_("Choose in person, virtual or hybrid."))
    venue, city, link = form.venue.strip()[:200], form.city.strip()[:120], form.link.strip()
    placed, linked = bool(venue and city), _is_meeting_link(link)
    if form.format == "hybrid" and not (placed and linked):
        raise DomainError(N_("A hybrid meeting needs a venue, a city and its https:// link."))
    if form.format == "in_person" and not placed:
        raise DomainError(N_("A meeting in person needs a venue and a city."))
    if form.format == "virtual" and not linked:
        raise DomainError(N_("A virtual meeting needs its https:// link."))
    if form.format == "in_person":
        link = ""
    host_state_id = None
    if form.host_state_code:
        host = session.exec(select(MemberState).where(MemberState.code == form.host_state_code)).first()
        if host is None:
            raise DomainError(N_("Choose the host state from the list."))
        host_state_id = host.id
    return form.format, venue, city, host_state_id, link


def _is_meeting_link(link: str) -> bool:
    parts = urlsplit(link)
    return parts.scheme == "https" and bool(parts.netloc) and len(link) <= 500


def resolve_host_zone(session: Session, zone: str, host_state_code: str = "", host_state_id: int | None = None) -> str:
    """The zone a meeting's local times are in: the one chosen, or else ('same as the host state', an empty
    value) the zone of the host state's capital."""
    zone = zone.strip()
    if zone:
        return check_zone(zone)
    state = (
        session.exec(select(MemberState).where(MemberState.code == host_state_code)).first()
        if host_state_code
        else session.get(MemberState, host_state_id)
        if host_state_id
        else None
    )
    if state is None or not state.time_zones:
        raise DomainError(N_("Choose the host's time zone, or a host state whose time zone the meeting keeps."))
    return check_zone(state.time_zones[0])


def picked(day: str, start: str, pick: str, chosen: str) -> tuple[str, str, str]:
    """The date, time and reading a form sends: a reading picked among those offered after a refusal (a button
    named 'pick') replaces the date and time typed; the last one picked is kept to say which of a repeated hour
    is meant while the date and time stay the same."""
    reading = timing.parse_pick(pick)
    if reading is None:
        return day, start, chosen
    return reading[0].isoformat(), reading[1].strftime("%H:%M"), pick.strip()


def instant(day: date, clock: time, zone: str, chosen: str = "") -> datetime:
    """The instant a local date and time stand for in `zone` (timing.local_instant), the repeated hour read as
    `chosen` says when it names this very date and time."""
    reading = timing.parse_pick(chosen)
    fold = reading[2] if reading is not None and reading[:2] == (day, clock.replace(second=0, microsecond=0)) else None
    return timing.local_instant(day, clock, zone, fold)


def instants(form: MeetingForm, zone: str) -> tuple[datetime, datetime]:
    starts_at = instant(parse_day(form.day), parse_clock(form.start), zone, form.chosen)
    return starts_at, starts_at + parse_duration(form.duration)


def _new_uid(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "portal"
    return f"{uuid.uuid4()}@{host}"


def _owner(
    session: Session, settings: Settings, *, user: User, form: MeetingForm, series: MeetingSeries | None
) -> tuple[int | None, int | None]:
    """The body or working group of the series the meeting belongs to, else the one the form names."""
    if series is not None:
        return series.body_id, series.working_group_id
    return meeting_owner(session, settings, body_key=form.body_key, working_group_id=form.working_group_id, user=user)


def add_meeting(
    session: Session,
    settings: Settings,
    *,
    user: User,
    form: MeetingForm,
    series: MeetingSeries | None = None,
    invitee_state_ids: Sequence[int] | None = None,
) -> Meeting:
    """Adds a meeting with the member states of its body or group invited (or the states given); the caller
    commits, so a meeting can be added in the same transaction as what it belongs to."""
    require_runner(user)
    errors = FieldErrors()
    with errors.field():
        body_id, group_id = _owner(session, settings, user=user, form=form, series=series)
    with errors.field():
        title = checked_title(form.title)
    with errors.field() as zoning:
        zone = resolve_host_zone(session, form.host_zone, form.host_state_code)
    with errors.field() as dating:
        day = parse_day(form.day)
    with errors.field() as starting:
        start = parse_clock(form.start)
    with errors.field():
        length = parse_duration(form.duration)
    if zoning.ok and dating.ok and starting.ok:
        with errors.field():
            starts_at = instant(day, start, zone, form.chosen)
    with errors.field():
        kind, venue, city, host_state_id, link = _where(session, form)
    errors.raise_any()
    ends_at = starts_at + length
    meeting = Meeting(
        series_id=series.id if series else None,
        title_en=title,
        title_fr=form.title_fr.strip()[:TITLE_LIMIT] or title,
        body_id=body_id,
        working_group_id=group_id,
        starts_at=starts_at,
        ends_at=ends_at,
        host_zone=zone,
        format=kind,
        venue=venue,
        city=city,
        host_state_id=host_state_id,
        link=link,
        uid=_new_uid(settings),
        created_at=clock.now(),
        created_by=user.id,
    )
    session.add(meeting)
    session.flush()
    invitees = member_states(session, meeting) if invitee_state_ids is None else set(invitee_state_ids)
    for state_id in sorted(invitees):
        session.add(MeetingInvitee(meeting_id=id_of(meeting), state_id=state_id))
    audit.record(
        session, actor_id=user.id, action="create", entity="meeting", entity_id=meeting.id, after=snapshot(meeting)
    )
    return meeting


def create_meeting(session: Session, settings: Settings, *, user: User, form: MeetingForm) -> Meeting:
    """A meeting of a body or working group, on its own or joining a series; the states chosen are invited, or
    else the member states."""
    series = _joined_series(session, settings, user=user, form=form) if form.series_id is not None else None
    invitees = chosen_states(session, form.state_ids) if form.state_ids else None
    meeting = add_meeting(session, settings, user=user, form=form, series=series, invitee_state_ids=invitees)
    session.commit()
    return meeting


def _joined_series(session: Session, settings: Settings, *, user: User, form: MeetingForm) -> MeetingSeries:
    """The series a meeting joins; the meeting is for the series' body or working group."""
    series = session.get(MeetingSeries, form.series_id)
    if series is None:
        raise DomainError(N_("Choose the series from the list."))
    owner = meeting_owner(session, settings, body_key=form.body_key, working_group_id=form.working_group_id, user=user)
    if owner != (series.body_id, series.working_group_id):
        raise DomainError(N_("This series meets for another body or working group."))
    return series


def snapshot(meeting: Meeting) -> dict[str, object]:
    return audit.snapshot(
        meeting, ("title_en", "starts_at", "ends_at", "host_zone", "format", "venue", "city", "link", "status")
    )
