"""Scheduling and running the network's meetings: series, occurrences, invitations and answers, agendas,
documents, attendance, minutes, action items, calendar feeds, and who may see what."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from sqlalchemy import exists, func, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import region
from app.core.config import Settings
from app.core.db import id_of, utcnow
from app.core.errors import Conflict, DomainError, Forbidden, Localised, NotFound
from app.core.formats import zone_info
from app.core.i18n import N_, gettext, in_language
from app.governance import service as governance
from app.governance.models import Body, MembershipEvent, WorkingGroup
from app.meetings import calendar, documents, mail, timing
from app.meetings.models import (
    ACTION_STATUSES,
    ANSWERS,
    CADENCES,
    FORMATS,
    QUARTER,
    REPEAT_LIMITS,
    ActionItem,
    ActionItemEvent,
    AgendaItem,
    AnswerLink,
    Attendance,
    CalendarFeed,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingInvitee,
    MeetingSeries,
    MinutesVersion,
)
from app.members.models import MemberState
from app.outbox import service as outbox

QUARTERLY_OCCURRENCES = 4
TITLE_LIMIT = 200


# Who may see what


@dataclass(frozen=True)
class Access:
    """What one user may do with one meeting."""

    sees: bool
    member: bool
    runs: bool
    state_id: int | None

    @property
    def attributions(self) -> bool:
        return self.member or self.runs


def member_states(session: Session, meeting: Meeting | MeetingSeries) -> set[int]:
    """The states that are members of the meeting's body or working group (they see members-only parts)."""
    if meeting.working_group_id is not None:
        return governance.group_members(session, [meeting.working_group_id]).get(meeting.working_group_id, set())
    if meeting.body_id is None:
        return set()
    standings = governance.memberships(session, body_id=meeting.body_id)
    return {state_id for (_, state_id), standing in standings.items() if standing.is_member}


def access(session: Session, meeting: Meeting, user: User) -> Access:
    if governance.coordinates(user):
        return Access(sees=True, member=True, runs=True, state_id=None)
    members = member_states(session, meeting)
    state_id = user.member_state_id if user.role == Role.focal_point else None
    invited = (
        session.exec(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id)
        ).one()
        > 0
    )
    # A state invited to the meeting, or one that owns an action item it raised (its focal points follow the item
    # there even when the state is not a member of the body), sees it; one query for both.
    invited_state = state_id is not None and bool(
        session.exec(
            select(
                exists().where(col(MeetingInvitee.meeting_id) == meeting.id, col(MeetingInvitee.state_id) == state_id)
                | exists().where(col(ActionItem.meeting_id) == meeting.id, col(ActionItem.owner_state_id) == state_id)
            )
        ).one()
    )
    member = reads_members_part(user, members)
    return Access(sees=member or invited or invited_state, member=member, runs=False, state_id=state_id)


def reads_members_part(user: User, members: set[int]) -> bool:
    """Whether the user reads a meeting's members-only parts, given the states that are members of its body or
    working group: coordinators and admins, and the focal points of those states."""
    if governance.coordinates(user):
        return True
    return user.role == Role.focal_point and user.member_state_id is not None and user.member_state_id in members


def visible_agenda(items: Sequence[AgendaItem], *, attributions: bool) -> tuple[list[AgendaItem], int]:
    """The agenda items a reader may see (members-only items only for those who read members-only parts) and how
    many are left out: on the meeting's page and in its emails alike."""
    shown = list(items) if attributions else [item for item in items if item.part == "observers"]
    return shown, len(items) - len(shown)


def openable(session: Session, user: User, meetings: Sequence[Meeting]) -> list[Meeting]:
    """The meetings among these that the user may open, by the rule of access(), in a few queries whatever their
    number: wherever a meeting is named, only those who may open it see it."""
    if governance.coordinates(user) or not meetings:
        return list(meetings)
    ids = [id_of(meeting) for meeting in meetings]
    seen = set(
        session.exec(
            select(Invitation.meeting_id).where(col(Invitation.meeting_id).in_(ids), Invitation.user_id == user.id)
        ).all()
    )
    state_id = user.member_state_id if user.role == Role.focal_point else None
    if state_id is None:
        return [meeting for meeting in meetings if meeting.id in seen]
    seen |= set(
        session.exec(
            select(MeetingInvitee.meeting_id).where(
                col(MeetingInvitee.meeting_id).in_(ids), MeetingInvitee.state_id == state_id
            )
        ).all()
    )
    owners = {(meeting.body_id, meeting.working_group_id): meeting for meeting in meetings}
    member_of = {owner for owner, meeting in owners.items() if state_id in member_states(session, meeting)}
    return [m for m in meetings if m.id in seen or (m.body_id, m.working_group_id) in member_of]


def get_meeting(session: Session, meeting_id: int, *, user: User) -> tuple[Meeting, Access]:
    """The meeting and the user's access; a meeting the user may not see is not found, as if it did not exist."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(N_("No such meeting."))
    rights = access(session, meeting, user)
    if not rights.sees:
        raise NotFound(N_("No such meeting."))
    return meeting, rights


def _require_runner(user: User) -> None:
    if not governance.coordinates(user):
        raise Forbidden(N_("Only coordinators and admins run meetings."))


# Places and time


def places(session: Session, state_ids: Sequence[int] | None = None, *, language: str = "en") -> list[timing.Place]:
    """States as the scheduler sees them (the first zone of each state is its capital's)."""
    query = select(MemberState).order_by(col(MemberState.name_en))
    if state_ids is not None:
        query = query.where(col(MemberState.id).in_(list(state_ids)))
    return [
        timing.Place(id_of(state), state.code, state.name(language), state.time_zones[0] if state.time_zones else "UTC")
        for state in session.exec(query).all()
    ]


def _check_zone(zone: str) -> str:
    if not timing.known_zone(zone):
        raise DomainError(N_("Unknown time zone: %(zone)s. Choose one from the list."), zone=zone[:64])
    return zone


def _parse_clock(value: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(N_("Give the time as HH:MM.")) from None


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(N_("Give the date as YYYY-MM-DD.")) from None


def _duration(minutes: int | str) -> timedelta:
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
    invited = _invited_states(session, [id_of(meeting) for meeting in recent])
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
    start_day, end_day = _parse_day(first), _parse_day(last)
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
            session, series, settings, before=timing.to_utc(start_day, time(0), _check_zone(zone))
        )
    slots = timing.find_slots(
        chosen,
        first=start_day,
        last=end_day,
        zone=_check_zone(zone),
        duration=_duration(duration),
        hours=timing.WorkingHours.from_settings(settings),
        holidays_by_code=timing.holidays(settings.seeds_dir),
        burden=carried,
    )
    return slots, last_carried


# Series and meetings


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


def _owner(
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


def _title(value: str) -> str:
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
        return _check_zone(zone)
    state = (
        session.exec(select(MemberState).where(MemberState.code == host_state_code)).first()
        if host_state_code
        else session.get(MemberState, host_state_id)
        if host_state_id
        else None
    )
    if state is None or not state.time_zones:
        raise DomainError(N_("Choose the host's time zone, or a host state whose time zone the meeting keeps."))
    return _check_zone(state.time_zones[0])


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


def _instants(form: MeetingForm, zone: str) -> tuple[datetime, datetime]:
    starts_at = instant(_parse_day(form.day), _parse_clock(form.start), zone, form.chosen)
    return starts_at, starts_at + _duration(form.duration)


def _new_uid(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "portal"
    return f"{uuid.uuid4()}@{host}"


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
    _require_runner(user)
    if series is not None:
        body_id, group_id = series.body_id, series.working_group_id
    else:
        body_id, group_id = _owner(
            session, settings, body_key=form.body_key, working_group_id=form.working_group_id, user=user
        )
    title = _title(form.title)
    zone = resolve_host_zone(session, form.host_zone, form.host_state_code)
    starts_at, ends_at = _instants(form, zone)
    kind, venue, city, host_state_id, link = _where(session, form)
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
        created_at=utcnow(),
        created_by=user.id,
    )
    session.add(meeting)
    session.flush()
    invitees = member_states(session, meeting) if invitee_state_ids is None else set(invitee_state_ids)
    for state_id in sorted(invitees):
        session.add(MeetingInvitee(meeting_id=id_of(meeting), state_id=state_id))
    audit.record(
        session, actor_id=user.id, action="create", entity="meeting", entity_id=meeting.id, after=_snapshot(meeting)
    )
    return meeting


def create_meeting(session: Session, settings: Settings, *, user: User, form: MeetingForm) -> Meeting:
    """A meeting of a body or working group, on its own or joining a series; the states chosen are invited, or
    else the member states."""
    series = _joined_series(session, settings, user=user, form=form) if form.series_id is not None else None
    invitees = _chosen_states(session, form.state_ids) if form.state_ids else None
    meeting = add_meeting(session, settings, user=user, form=form, series=series, invitee_state_ids=invitees)
    session.commit()
    return meeting


def _joined_series(session: Session, settings: Settings, *, user: User, form: MeetingForm) -> MeetingSeries:
    """The series a meeting joins; the meeting is for the series' body or working group."""
    series = session.get(MeetingSeries, form.series_id)
    if series is None:
        raise DomainError(N_("Choose the series from the list."))
    owner = _owner(session, settings, body_key=form.body_key, working_group_id=form.working_group_id, user=user)
    if owner != (series.body_id, series.working_group_id):
        raise DomainError(N_("This series meets for another body or working group."))
    return series


def _chosen_states(session: Session, state_ids: Sequence[int]) -> list[int]:
    """The ids of the states chosen, all of them known, in order."""
    found = {
        id_of(state)
        for state in session.exec(select(MemberState).where(col(MemberState.id).in_(list(state_ids)))).all()
    }
    if len(found) != len(set(state_ids)):
        raise DomainError(N_("Choose states from the list."))
    return sorted(found)


def _snapshot(meeting: Meeting) -> dict[str, object]:
    return audit.snapshot(
        meeting, ("title_en", "starts_at", "ends_at", "host_zone", "format", "venue", "city", "link", "status")
    )


def create_series(
    session: Session,
    settings: Settings,
    *,
    user: User,
    title: str,
    body_key: str,
    working_group_id: int | None,
    host_zone: str,
    local_start: str,
    duration: int | str,
    first_day: str,
    title_fr: str = "",
    format: str = "virtual",
    link: str = "",
    venue: str = "",
    city: str = "",
    cadence: str = "quarterly",
    repeat_every: int | str = "",
    repeat_unit: str = "",
    host_state: str = "",
    chosen: str = "",
) -> MeetingSeries:
    """A series and its first meetings (four for a quarterly one), in one transaction. A custom series may give
    its interval (every N weeks or months), from which its next meetings are proposed."""
    _require_runner(user)
    if cadence not in CADENCES:
        raise DomainError(N_("Choose quarterly or custom."))
    body_id, group_id = _owner(session, settings, body_key=body_key, working_group_id=working_group_id, user=user)
    clock = _parse_clock(local_start)
    if not first_day.strip():
        raise DomainError(N_("Give the date of the first meeting."))
    every, unit = _interval(repeat_every, repeat_unit) if cadence == "custom" else (None, None)
    series = MeetingSeries(
        title_en=_title(title),
        title_fr=title_fr.strip()[:TITLE_LIMIT] or title.strip(),
        cadence=cadence,
        repeat_every=every,
        repeat_unit=unit,
        body_id=body_id,
        working_group_id=group_id,
        host_zone=resolve_host_zone(session, host_zone, host_state),
        local_start=clock.strftime("%H:%M"),
        duration_minutes=int(_duration(duration).total_seconds() // 60),
        created_at=utcnow(),
        created_by=user.id,
    )
    session.add(series)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="meeting_series",
        entity_id=series.id,
        after={"title": series.title_en, "cadence": cadence},
    )
    _occurrences(
        session,
        settings,
        user=user,
        series=series,
        first_day=first_day,
        format=format,
        link=link,
        venue=venue,
        city=city,
        host_state=host_state,
        chosen=chosen,
    )
    session.commit()
    return series


def _interval(every: int | str, unit: str) -> tuple[int | None, str | None]:
    """A custom series' interval, or none when its meetings are irregular (no number given)."""
    if str(every).strip() == "":
        return None, None
    number = int(every) if str(every).strip().isdigit() else 0
    if not 1 <= number <= REPEAT_LIMITS.get(unit, 0):
        raise DomainError(N_("Give how far apart the meetings are: every 1 to 52 weeks, or every 1 to 12 months."))
    return number, unit


def next_day(
    session: Session, settings: Settings, series: MeetingSeries, *, now: datetime | None = None
) -> date | None:
    """The day proposed for the series' next meeting, never before today at the host: the date of its rhythm after
    the one its latest meeting stands for (the rhythm runs from its first meeting, so a moved or extra meeting does
    not shift it); for a series that has not met, the first working day of the next quarter's second week; None for
    an irregular series that has met."""
    today = (now or utcnow()).astimezone(zone_info(series.host_zone)).date()
    held = series_meetings(session, series)
    if not held:
        return timing.next_quarter_day(today, timing.WorkingHours.from_settings(settings))
    step = series.step()
    if step is None:
        return None
    anchor, latest = (
        meeting.starts_at.astimezone(zone_info(series.host_zone)).date() for meeting in (held[0], held[-1])
    )

    def rhythm(steps: int) -> date:
        return timing.step_date(anchor, steps, every=step[0], unit=step[1])

    steps = 0
    while rhythm(steps + 1) <= latest:
        steps += 1
    if latest - rhythm(steps) > rhythm(steps + 1) - latest:
        steps += 1
    steps += 1
    while rhythm(steps) < today:
        steps += 1
    return rhythm(steps)


def series_meetings(session: Session, series: MeetingSeries) -> list[Meeting]:
    return list(
        session.exec(select(Meeting).where(Meeting.series_id == series.id).order_by(col(Meeting.starts_at))).all()
    )


def check_series_open(session: Session, settings: Settings, series: MeetingSeries) -> None:
    """Refuses to add meetings to a series held under a body the option in force leaves dormant."""
    if governance.dormancy(session, settings).holds(series):
        raise Conflict(
            N_(
                "This series is held under a body dormant under the %(option)s, the governance option in force: it "
                "can be read, not changed, so no meeting is added to it."
            ),
            option=governance.option_label(settings),
        )


def next_occurrences(
    session: Session,
    settings: Settings,
    *,
    user: User,
    series: MeetingSeries,
    first_day: str = "",
    format: str = "virtual",
    link: str = "",
    venue: str = "",
    city: str = "",
    chosen: str = "",
) -> list[Meeting]:
    """A quarterly series' next four occurrences, or a custom series' next one, from `first_day` or else from the
    day proposed, in one transaction; none for a series held under a body the option leaves dormant."""
    check_series_open(session, settings, series)
    meetings = _occurrences(
        session,
        settings,
        user=user,
        series=series,
        first_day=first_day,
        format=format,
        link=link,
        venue=venue,
        city=city,
        chosen=chosen,
    )
    session.commit()
    return meetings


def _occurrences(
    session: Session,
    settings: Settings,
    *,
    user: User,
    series: MeetingSeries,
    first_day: str,
    format: str,
    link: str,
    venue: str,
    city: str,
    host_state: str = "",
    chosen: str = "",
) -> list[Meeting]:
    """Occurrences at the series' local time in its host zone (DST included), from `first_day` or else the day
    `next_day` proposes: a quarterly series gets four, a quarter apart on the same weekday of the month; a custom
    series gets one."""
    _require_runner(user)
    start = _parse_day(first_day) if first_day else next_day(session, settings, series)
    if start is None:
        raise DomainError(N_("Give the date of the meeting."))
    days = [start]
    if series.cadence == "quarterly":
        every, unit = QUARTER
        days = [timing.step_date(start, steps, every=every, unit=unit) for steps in range(QUARTERLY_OCCURRENCES)]
    created = []
    for day in days:
        form = MeetingForm(
            title=series.title_en,
            title_fr=series.title_fr,
            day=day.isoformat(),
            start=series.local_start,
            duration=series.duration_minutes,
            host_zone=series.host_zone,
            format=format,
            link=link,
            venue=venue,
            city=city,
            host_state_code=host_state,
            chosen=chosen,
        )
        created.append(add_meeting(session, settings, user=user, form=form, series=series))
    return created


def move_meeting(
    session: Session,
    settings: Settings,
    *,
    user: User,
    meeting: Meeting,
    day: str,
    start: str,
    duration: int | str,
    host_zone: str,
    chosen: str = "",
) -> Meeting:
    """Moves one meeting (never its series' other occurrences) and sends the change to the invited. An empty zone
    keeps the host state's."""
    _require_runner(user)
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled."))
    zone = resolve_host_zone(session, host_zone, host_state_id=meeting.host_state_id)
    form = MeetingForm(
        title=meeting.title_en,
        day=day,
        start=start,
        duration=duration,
        host_zone=zone,
        format=meeting.format,
        chosen=chosen,
    )
    before, previous = _snapshot(meeting), mail.Facts.of(meeting)
    meeting.starts_at, meeting.ends_at = _instants(form, zone)
    meeting.host_zone = zone
    _check_agenda_fits(session, meeting)
    meeting.ics_sequence += 1
    session.add(meeting)
    audit.record(
        session,
        actor_id=user.id,
        action="move",
        entity="meeting",
        entity_id=meeting.id,
        before=before,
        after=_snapshot(meeting),
    )
    _send(session, settings, meeting, _invitations(session, meeting), before=previous)
    session.commit()
    return meeting


def cancel_meeting(session: Session, settings: Settings, *, user: User, meeting: Meeting) -> Meeting:
    """Cancels one meeting; everyone invited receives a CANCEL for their calendar."""
    _require_runner(user)
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled already."))
    before, previous = _snapshot(meeting), mail.Facts.of(meeting)
    meeting.status = "cancelled"
    meeting.ics_sequence += 1
    session.add(meeting)
    audit.record(
        session,
        actor_id=user.id,
        action="cancel",
        entity="meeting",
        entity_id=meeting.id,
        before=before,
        after=_snapshot(meeting),
    )
    _send(session, settings, meeting, _sent_invitations(session, meeting), before=previous)
    session.commit()
    return meeting


def _sent_invitations(session: Session, meeting: Meeting) -> list[Invitation]:
    return [i for i in _invitations(session, meeting) if i.sent_sequence is not None]


def told_of_cancellation(session: Session, meeting: Meeting) -> list[User]:
    """Who receives the cancellation of a meeting: everyone whose invitation was sent."""
    ids = [i.user_id for i in _sent_invitations(session, meeting)]
    return list(session.exec(select(User).where(col(User.id).in_(ids)).order_by(col(User.display_name))).all())


# Invitations and answers


def _invited_states(session: Session, meeting_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for row in session.exec(select(MeetingInvitee).where(col(MeetingInvitee.meeting_id).in_(meeting_ids))).all():
        found[row.meeting_id].add(row.state_id)
    return found


def _invitations(session: Session, meeting: Meeting) -> list[Invitation]:
    return list(
        session.exec(select(Invitation).where(Invitation.meeting_id == meeting.id).order_by(col(Invitation.id))).all()
    )


def invite(
    session: Session,
    settings: Settings,
    *,
    user: User,
    meeting: Meeting,
    state_ids: Sequence[int],
    observer_ids: Sequence[int] = (),
) -> int:
    """Invites the focal points of the chosen states and the chosen observers, and emails everyone invited
    who has not received the current version yet. Returns how many emails were queued."""
    _require_runner(user)
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled."))
    known = {
        row.state_id
        for row in session.exec(select(MeetingInvitee).where(MeetingInvitee.meeting_id == meeting.id)).all()
    }
    states = set(_chosen_states(session, state_ids))
    for state_id in sorted(states - known):
        session.add(MeetingInvitee(meeting_id=id_of(meeting), state_id=state_id))
    everyone = known | states
    people = list(
        session.exec(
            select(User).where(
                User.is_active == True,  # noqa: E712
                ((col(User.role) == Role.focal_point) & col(User.member_state_id).in_(everyone))
                | ((col(User.role) == Role.observer) & col(User.id).in_(list(observer_ids))),
            )
        ).all()
    )
    if len([p for p in people if p.role == Role.observer]) != len(set(observer_ids)):
        raise DomainError(N_("Choose observers from the list."))
    existing = {invitation.user_id: invitation for invitation in _invitations(session, meeting)}
    for person in people:
        if person.id not in existing:
            invitation = Invitation(
                meeting_id=id_of(meeting),
                user_id=id_of(person),
                state_id=person.member_state_id if person.role == Role.focal_point else None,
            )
            session.add(invitation)
            existing[id_of(person)] = invitation
    session.flush()
    due = [i for i in existing.values() if i.sent_sequence != meeting.ics_sequence]
    _send(session, settings, meeting, due)
    audit.record(
        session,
        actor_id=user.id,
        action="invite",
        entity="meeting",
        entity_id=meeting.id,
        after={"states": sorted(everyone), "observers": sorted(observer_ids), "emails": len(due)},
    )
    session.commit()
    return len(due)


def unreachable_states(session: Session, meeting: Meeting) -> list[MemberState]:
    """The invited states without an active focal point: nobody there receives the meeting's invitation."""
    invited = select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == meeting.id)
    reached = select(User.member_state_id).where(
        User.role == Role.focal_point,
        User.is_active == True,  # noqa: E712
        col(User.member_state_id).is_not(None),
    )
    return list(
        session.exec(
            select(MemberState)
            .where(col(MemberState.id).in_(invited), col(MemberState.id).not_in(reached))
            .order_by(col(MemberState.name_en))
        ).all()
    )


def _location(meeting: Meeting) -> str:
    return ", ".join(part for part in (meeting.venue, meeting.city, meeting.link) if part)


def _owner_title(session: Session, meeting: Meeting, language: str) -> str:
    """The name of the body or working group the meeting belongs to, if any."""
    if meeting.body_id is not None:
        body = session.get(Body, meeting.body_id)
        return body.name(language) if body else ""
    if meeting.working_group_id is not None:
        group = session.get(WorkingGroup, meeting.working_group_id)
        return group.name if group else ""
    return ""


def _send(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    invitations: Sequence[Invitation],
    *,
    before: mail.Facts | None = None,
) -> None:
    """Queues an email with an iCalendar REQUEST (or CANCEL) to each invitation's person: in their language and
    zone, with the agenda items they may read and, unless the meeting is cancelled, two one-click answers.
    `before` is the meeting as it was before a change, for the email to say what changed."""
    if not invitations:
        return
    users = {
        user.id: user
        for user in session.exec(select(User).where(col(User.id).in_([i.user_id for i in invitations]))).all()
    }
    network = region.load(settings.seeds_dir)
    url = f"{settings.base_url}/meetings/{meeting.id}"
    items = agenda(session, meeting)
    members = member_states(session, meeting) if items else set()
    owners = {language: _owner_title(session, meeting, language) for language in {u.language for u in users.values()}}
    answerable = not meeting.cancelled and not has_ended(meeting)
    for invitation in invitations:
        person = users[invitation.user_id]
        title = meeting.title(person.language)
        shown, hidden = visible_agenda(items, attributions=reads_members_part(person, members))
        details = mail.Details(
            owner=owners[person.language],
            agenda=shown,
            members_only_items=hidden,
            links=_answer_links(session, settings, invitation, meeting) if answerable else None,
            before=before,
        )
        subject, body, html = mail.meeting_message(
            user=person,
            meeting=meeting,
            title=title,
            url=url,
            portal=network.short_name(person.language),
            first=invitation.sent_sequence is None,
            details=details,
        )
        ics = calendar.invitation(
            meeting,
            title=title,
            url=url,
            organizer=calendar.Organizer(
                organizer_address(session, settings, meeting), network.short_name(person.language)
            ),
            attendee=person.email,
            location=_location(meeting),
        )
        outbox.queue(session, recipient=person.email, subject=subject, body=body, html=html, calendar=ics)
        invitation.sent_sequence = meeting.ics_sequence
        session.add(invitation)


# Answering from the email: one link per answer, used once, until the meeting ends or a newer email replaces it.

ANSWER_LINK_REPLIES = {"attending": "attend", "not_attending": "decline"}
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reminder_answer_links(
    session: Session, settings: Settings, invitation: Invitation, meeting: Meeting
) -> mail.AnswerLinks | None:
    """One-click answers for a reminder of the meeting, beside those of the invitation email (which keep working);
    None when the meeting can no longer be answered. The caller commits."""
    if meeting.cancelled or has_ended(meeting):
        return None
    return _answer_links(session, settings, invitation, meeting, replace=False)


def _answer_links(
    session: Session, settings: Settings, invitation: Invitation, meeting: Meeting, *, replace: bool = True
) -> mail.AnswerLinks:
    """New one-click answers for an invitation email; unless `replace` is False, the unused links of earlier emails
    stop working. The caller commits."""
    now = utcnow()
    if replace:
        session.execute(
            update(AnswerLink)
            .where(
                col(AnswerLink.invitation_id) == invitation.id,
                col(AnswerLink.used_at).is_(None),
                col(AnswerLink.replaced_at).is_(None),
            )
            .values(replaced_at=now)
        )
    urls = {}
    for reply, name in ANSWER_LINK_REPLIES.items():
        token = secrets.token_urlsafe(32)
        session.add(
            AnswerLink(
                token_hash=_link_hash(token),
                invitation_id=id_of(invitation),
                reply=reply,
                created_at=now,
                expires_at=meeting.ends_at,
            )
        )
        urls[name] = f"{settings.base_url}/answer/{token}"
    return mail.AnswerLinks(attend=urls["attend"], decline=urls["decline"])


def _refusal(heading: str, message: str, status: int, **params: object) -> DomainError:
    """A refusal with its own heading, so the page says plainly what is wrong with the link."""
    error = DomainError(message, status_code=status, **params)
    error.heading = heading
    return error


@dataclass(frozen=True)
class LinkAnswer:
    """An answer link that can still be used: its row, the invitation, the meeting and the invited person."""

    link: AnswerLink
    invitation: Invitation
    meeting: Meeting
    person: User


def open_answer_link(session: Session, *, token: str, visitor: User | None) -> LinkAnswer:
    """The answer a link gives, if it can still give it; a refusal with its own heading otherwise. Changes nothing."""
    row = (
        session.exec(
            select(AnswerLink, Invitation, Meeting, User)
            .join(Invitation, col(Invitation.id) == AnswerLink.invitation_id)
            .join(Meeting, col(Meeting.id) == Invitation.meeting_id)
            .join(User, col(User.id) == Invitation.user_id)
            .where(AnswerLink.token_hash == _link_hash(token))
        ).first()
        if TOKEN_SHAPE.fullmatch(token)
        else None
    )
    if row is None:
        raise _refusal(
            N_("Link not recognised"),
            N_("This answer link is not one the portal sent, or it was copied incompletely. Nothing has been changed."),
            404,
        )
    link, invitation, meeting, person = row
    if visitor is not None and visitor.id != person.id:
        raise _refusal(
            N_("Signed in as someone else"),
            N_(
                "You are signed in as %(name)s, and this link answers for someone else. Nothing has been changed. "
                "Sign out, then open the link again, or answer on the meeting's page."
            ),
            403,
            name=visitor.display_name,
        )
    if not person.is_active:
        raise Forbidden(N_("This account is deactivated."))
    title = Localised(meeting.title_en, meeting.title_fr or meeting.title_en)
    if link.used_at is not None:
        raise _refusal(
            N_("Link already used"),
            N_(
                "This link has been used already, and its answer was recorded. Nothing has been changed. To change "
                "your answer, use the other link of the email or the meeting's page."
            ),
            409,
        )
    if link.replaced_at is not None:
        raise _refusal(
            N_("Link replaced"),
            N_(
                "A newer email about this meeting replaced this link. Nothing has been changed. Use the links of the "
                "latest email, or answer on the meeting's page."
            ),
            410,
        )
    if meeting.cancelled:
        raise _refusal(
            N_("Meeting cancelled"),
            N_('The meeting "%(title)s" has been cancelled: there is nothing to answer. Nothing has been changed.'),
            409,
            title=title,
        )
    if has_ended(meeting):
        raise _refusal(
            N_("Meeting over"),
            N_('The meeting "%(title)s" has ended: answers are closed. Nothing has been changed.'),
            410,
            title=title,
        )
    if link.expires_at <= utcnow():
        raise _refusal(
            N_("Link expired"),
            N_("This link has expired. Nothing has been changed. Answer on the meeting's page."),
            410,
        )
    return LinkAnswer(link=link, invitation=invitation, meeting=meeting, person=person)


def answer_by_link(session: Session, *, token: str, visitor: User | None) -> LinkAnswer:
    """Uses an answer link: marks it used and records its answer by the rule of answer(), in one transaction; of two
    requests with the same link only one answers."""
    found = open_answer_link(session, token=token, visitor=visitor)
    used = session.execute(
        update(AnswerLink)
        .where(col(AnswerLink.id) == found.link.id, col(AnswerLink.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if getattr(used, "rowcount", 0) != 1:
        session.rollback()
        raise _refusal(
            N_("Link already used"),
            N_(
                "This link has been used already, and its answer was recorded. Nothing has been changed. To change "
                "your answer, use the other link of the email or the meeting's page."
            ),
            409,
        )
    try:
        answer(session, user=found.person, meeting=found.meeting, reply=found.link.reply, by_email=True)
    except DomainError:
        session.rollback()
        raise
    return found


def has_ended(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.ends_at <= (now or utcnow())


def answer(
    session: Session,
    *,
    user: User,
    meeting: Meeting,
    reply: str,
    delegate_name: str = "",
    delegate_email: str = "",
    by_email: bool = False,
) -> Invitation:
    """Records the invited person's answer. The row is locked while it changes, so two answers sent at the
    same moment are applied one after the other and the last one stands. `by_email`: given with a link of the
    invitation email (the audit says so)."""
    if reply not in ANSWERS:
        raise DomainError(N_("Answer attending, not attending or delegating."))
    name, email = delegate_name.strip(), delegate_email.strip()
    if reply == "delegated":
        if not name or len(name) > 120:
            raise DomainError(N_("Give the name of the colleague you delegate to."))
        if email and (parseaddr(email)[1] != email or "@" not in email or len(email) > 254):
            raise DomainError(N_("The colleague's email address is not valid."))
    else:
        name, email = "", ""
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled."))
    if has_ended(meeting):
        raise Conflict(N_("This meeting has ended."))
    invitation = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id).with_for_update()
    ).first()
    if invitation is None:
        raise Forbidden(N_("You are not invited to this meeting."))
    before = {"answer": invitation.answer}
    invitation.answer, invitation.delegate_name, invitation.delegate_email = reply, name, email
    invitation.answered_at = utcnow()
    session.add(invitation)
    audit.record(
        session,
        actor_id=user.id,
        action="answer",
        entity="invitation",
        entity_id=invitation.id,
        before=before,
        after={"answer": reply, "delegate": name, **({"via": "email link"} if by_email else {})},
    )
    session.commit()
    return invitation


# Agenda


def agenda(session: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(
        session.exec(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(col(AgendaItem.position), col(AgendaItem.id))
        ).all()
    )


def _check_agenda_fits(session: Session, meeting: Meeting, extra: int = 0) -> None:
    total = sum(item.duration_minutes for item in agenda(session, meeting)) + extra
    length = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    if total > length:
        raise DomainError(
            N_("The agenda (%(total)s minutes) is longer than the meeting (%(length)s minutes)."),
            total=total,
            length=length,
        )


def _check_editable(meeting: Meeting) -> None:
    if meeting.agenda_status == "final":
        raise Conflict(N_("The agenda is final and can no longer change."))


def add_agenda_item(
    session: Session, *, user: User, meeting: Meeting, title: str, presenter: str, duration: int | str, part: str
) -> AgendaItem:
    _require_runner(user)
    _check_editable(meeting)
    text = title.strip()
    if not text or len(text) > 300:
        raise DomainError(N_("Give the item a title of at most 300 characters."))
    if part not in ("members", "observers"):
        raise DomainError(N_("Choose members only or with observers."))
    try:
        minutes = int(duration)
    except (TypeError, ValueError):
        raise DomainError(N_("The duration must be a number of minutes.")) from None
    if minutes < 1:
        raise DomainError(N_("An item lasts at least one minute."))
    _check_agenda_fits(session, meeting, extra=minutes)
    position = (
        session.exec(
            select(func.coalesce(func.max(AgendaItem.position), 0)).where(AgendaItem.meeting_id == meeting.id)
        ).one()
        + 1
    )
    item = AgendaItem(
        meeting_id=id_of(meeting),
        position=position,
        title=text,
        presenter=presenter.strip()[:200],
        duration_minutes=minutes,
        part=part,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="add",
        entity="agenda_item",
        entity_id=item.id,
        after={"meeting": meeting.id, "title": text},
    )
    session.commit()
    return item


def move_agenda_item(session: Session, *, user: User, meeting: Meeting, item_id: int, direction: str) -> None:
    """Swaps an item with the one above or below it."""
    _require_runner(user)
    _check_editable(meeting)
    items = agenda(session, meeting)
    index = next((i for i, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise NotFound(N_("No such agenda item."))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, item in enumerate(items, start=1):
            item.position = position
            session.add(item)
        session.commit()


def remove_agenda_item(session: Session, *, user: User, meeting: Meeting, item_id: int) -> None:
    _require_runner(user)
    _check_editable(meeting)
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(N_("No such agenda item."))
    if session.exec(
        select(func.count()).select_from(MeetingDocument).where(MeetingDocument.agenda_item_id == item_id)
    ).one():
        raise Conflict(N_("This item has attachments; it cannot be removed."))
    audit.record(
        session,
        actor_id=user.id,
        action="remove",
        entity="agenda_item",
        entity_id=item.id,
        before={"meeting": meeting.id, "title": item.title},
    )
    session.delete(item)
    session.commit()


AGENDA_STEPS = {"draft": "circulated", "circulated": "final"}


def advance_agenda(session: Session, settings: Settings, *, user: User, meeting: Meeting) -> str:
    """Draft → circulated (the invited focal points are notified) → final."""
    _require_runner(user)
    following = AGENDA_STEPS.get(meeting.agenda_status)
    if following is None:
        raise Conflict(N_("The agenda is final already."))
    if not agenda(session, meeting):
        raise DomainError(N_("Add at least one item before circulating the agenda."))
    meeting.agenda_status = following
    session.add(meeting)
    if following == "circulated":
        _notify_agenda(session, settings, meeting)
    audit.record(session, actor_id=user.id, action=following, entity="agenda", entity_id=meeting.id)
    session.commit()
    return following


def _notify_agenda(session: Session, settings: Settings, meeting: Meeting) -> None:
    people = session.exec(
        select(User)
        .join(Invitation, col(Invitation.user_id) == User.id)
        .where(Invitation.meeting_id == meeting.id, col(User.is_active).is_(True))
    ).all()
    network = region.load(settings.seeds_dir)
    for person in people:
        subject, body = mail.agenda_message(
            user=person,
            meeting=meeting,
            title=meeting.title(person.language),
            url=f"{settings.base_url}/meetings/{meeting.id}",
            portal=network.short_name(person.language),
        )
        outbox.queue(session, recipient=person.email, subject=subject, body=body)


# Documents


def upload(
    session: Session,
    settings: Settings,
    *,
    user: User,
    meeting: Meeting,
    rights: Access,
    filename: str,
    content: bytes,
    part: str = "members",
    agenda_item_id: int | None = None,
) -> MeetingDocument:
    """A coordinator attaches a file to the agenda; a member state's focal point posts its written update."""
    if part not in ("members", "observers"):
        raise DomainError(N_("Choose members only or with observers."))
    if rights.runs:
        kind, state_id = "attachment", None
        if agenda_item_id is not None:
            item = session.get(AgendaItem, agenda_item_id)
            if item is None or item.meeting_id != meeting.id:
                raise NotFound(N_("No such agenda item."))
    elif rights.member and rights.state_id is not None:
        kind, state_id, agenda_item_id, part = "written_update", rights.state_id, None, "members"
    else:
        raise Forbidden(N_("Only member states post written updates to this meeting."))
    stored = documents.store(settings, filename=filename, content=content)
    document = MeetingDocument(
        meeting_id=id_of(meeting),
        agenda_item_id=agenda_item_id,
        state_id=state_id,
        kind=kind,
        part=part,
        filename=stored.filename,
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_at=utcnow(),
        uploaded_by=user.id,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="upload",
        entity="meeting_document",
        entity_id=document.id,
        after={"meeting": meeting.id, "filename": document.filename, "size": document.size},
    )
    session.commit()
    return document


def visible_documents(session: Session, meeting: Meeting, rights: Access) -> list[MeetingDocument]:
    query = select(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id)
    if not rights.attributions:
        query = query.where(MeetingDocument.part == "observers")
    return list(session.exec(query.order_by(col(MeetingDocument.uploaded_at), col(MeetingDocument.id))).all())


def get_document(session: Session, meeting: Meeting, rights: Access, document_id: int) -> MeetingDocument:
    document = session.get(MeetingDocument, document_id)
    if (
        document is None
        or document.meeting_id != meeting.id
        or (document.part == "members" and not rights.attributions)
    ):
        raise NotFound(N_("No such document."))
    return document


# During and after


def record_attendance(session: Session, *, user: User, meeting: Meeting, present_state_ids: Sequence[int]) -> None:
    """Who attended, among the invited states; recording again replaces the previous record."""
    _require_runner(user)
    meeting_id = id_of(meeting)
    invited = _invited_states(session, [meeting_id]).get(meeting_id, set())
    if not set(present_state_ids) <= invited:
        raise DomainError(N_("Only invited states can be recorded as present."))
    rows = {
        row.state_id: row for row in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    }
    now = utcnow()
    for state_id in sorted(invited):
        row = rows.get(state_id) or Attendance(
            meeting_id=meeting_id,
            state_id=state_id,
            present=False,
            recorded_at=now,
        )
        row.present, row.recorded_at, row.recorded_by = state_id in present_state_ids, now, user.id
        session.add(row)
    audit.record(
        session,
        actor_id=user.id,
        action="attendance",
        entity="meeting",
        entity_id=meeting.id,
        after={"present": sorted(present_state_ids)},
    )
    session.commit()


def attendance(session: Session, meeting: Meeting) -> dict[int, bool]:
    return {
        row.state_id: row.present
        for row in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    }


MINUTES_LIMIT = 200_000


def save_minutes(session: Session, *, user: User, meeting: Meeting, text: str) -> MinutesVersion:
    """Appends a version of the minutes; earlier versions stay."""
    _require_runner(user)
    if len(text) > MINUTES_LIMIT:
        raise DomainError(N_("The minutes may have at most %(limit)s characters."), limit=MINUTES_LIMIT)
    version = MinutesVersion(
        meeting_id=id_of(meeting),
        text=text.replace("\r\n", "\n"),
        written_at=utcnow(),
        written_by=user.id,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="minutes",
        entity="meeting",
        entity_id=meeting.id,
        after={"version": version.id, "characters": len(version.text)},
    )
    session.commit()
    return version


def minutes(session: Session, meeting: Meeting) -> tuple[MinutesVersion | None, int]:
    """The current minutes and how many versions they have had."""
    versions = list(
        session.exec(
            select(MinutesVersion)
            .where(MinutesVersion.meeting_id == meeting.id)
            .order_by(col(MinutesVersion.id).desc())
        ).all()
    )
    return (versions[0] if versions else None), len(versions)


def set_publication(
    session: Session, *, user: User, meeting: Meeting, summary: str, publish: bool, chatham_house: bool
) -> Meeting:
    """The public summary (shown beyond the members only once published) and the Chatham House flag."""
    _require_runner(user)
    if len(summary) > 20_000:
        raise DomainError(N_("The summary may have at most 20,000 characters."))
    if publish and not summary.strip():
        raise DomainError(N_("Write the summary before publishing it."))
    before = {"published": meeting.summary_published_at is not None, "chatham_house": meeting.chatham_house}
    meeting.summary = summary.replace("\r\n", "\n")
    meeting.summary_published_at = (meeting.summary_published_at or utcnow()) if publish else None
    meeting.chatham_house = chatham_house
    session.add(meeting)
    audit.record(
        session,
        actor_id=user.id,
        action="publication",
        entity="meeting",
        entity_id=meeting.id,
        before=before,
        after={"published": publish, "chatham_house": chatham_house},
    )
    session.commit()
    return meeting


# Action items


def add_action_item(
    session: Session, *, user: User, meeting: Meeting, owner_state_id: int, text: str, due_on: str
) -> ActionItem:
    _require_runner(user)
    words = text.strip()
    if not words or len(words) > 1000:
        raise DomainError(N_("Describe the action in at most 1,000 characters."))
    if session.get(MemberState, owner_state_id) is None:
        raise DomainError(N_("Choose the state that owns the action."))
    item = ActionItem(
        meeting_id=id_of(meeting),
        owner_state_id=owner_state_id,
        text=words,
        due_on=_parse_day(due_on),
        created_at=utcnow(),
        created_by=user.id,
    )
    session.add(item)
    session.flush()
    session.add(ActionItemEvent(action_item_id=id_of(item), status="open", at=item.created_at, by=user.id))
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="action_item",
        entity_id=item.id,
        after={"meeting": meeting.id, "owner": owner_state_id, "due_on": item.due_on.isoformat()},
    )
    session.commit()
    return item


REMINDER_DAYS_MAX = 60
REMINDER_DAYS_COUNT = 3


def parse_reminder_days(text_value: str) -> tuple[int, ...]:
    """Days before a meeting, written like "7, 1": whole numbers from 0 to 60, at most three; empty means the
    portal's own (an empty tuple)."""
    parts = [part for part in text_value.replace(",", " ").replace(";", " ").split()]
    if len(parts) > REMINDER_DAYS_COUNT:
        raise DomainError(N_("Give at most 3 reminder days, separated by commas, like 7, 1."))
    days = set()
    for part in parts:
        if not part.isdigit() or len(part) > 2 or int(part) > REMINDER_DAYS_MAX:
            raise DomainError(
                N_("Reminder days are whole numbers of days from 0 to 60, separated by commas, like 7, 1.")
            )
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def set_reminder_days(session: Session, *, user: User, series: MeetingSeries, days: str) -> MeetingSeries:
    """A coordinator chooses how many days before each meeting of the series its reminders go."""
    _require_runner(user)
    chosen = parse_reminder_days(days)
    before = {"reminder_days": series.reminder_days}
    series.reminder_days = " ".join(str(day) for day in chosen)
    session.add(series)
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="meeting_series",
        entity_id=series.id,
        before=before,
        after={"reminder_days": series.reminder_days},
    )
    session.commit()
    return series


def change_action_item(
    session: Session, *, user: User, meeting: Meeting, item_id: int, status: str, note: str = ""
) -> ActionItem:
    """The owner state's focal point or a coordinator moves an action item on; each change is appended.
    `meeting` is the page it is changed from: the one that raised it or a later one reviewing it."""
    item = session.get(ActionItem, item_id)
    if item is None or not (item.meeting_id == meeting.id or item.id in {i.id for i in for_review(session, meeting)}):
        raise NotFound(N_("No such action item."))
    if not governance.coordinates(user) and not (
        user.role == Role.focal_point and user.member_state_id == item.owner_state_id
    ):
        raise Forbidden(N_("Only the owner state's focal points and coordinators update this action item."))
    if status not in ACTION_STATUSES:
        raise DomainError(N_("Choose a status from the list."))
    if len(note) > 500:
        raise DomainError(N_("The note may have at most 500 characters."))
    before = {"status": item.status}
    item.status = status
    session.add(item)
    session.add(
        ActionItemEvent(
            action_item_id=id_of(item),
            status=status,
            note=note.strip(),
            at=utcnow(),
            by=user.id,
        )
    )
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="action_item",
        entity_id=item.id,
        before=before,
        after={"status": status},
    )
    session.commit()
    return item


def action_items(session: Session, meeting: Meeting, *, owner_state_id: int | None = None) -> list[ActionItem]:
    """The action items the meeting raised; only one state's with `owner_state_id` (what the focal points of a state
    that is not a member of the body may see: their own)."""
    query = select(ActionItem).where(ActionItem.meeting_id == meeting.id)
    if owner_state_id is not None:
        query = query.where(ActionItem.owner_state_id == owner_state_id)
    return list(session.exec(query.order_by(col(ActionItem.due_on), col(ActionItem.id))).all())


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The last meeting of the same body or working group before this one."""
    query = select(Meeting).where(
        col(Meeting.starts_at) < meeting.starts_at, Meeting.id != meeting.id, Meeting.status == "scheduled"
    )
    if meeting.working_group_id is not None:
        query = query.where(Meeting.working_group_id == meeting.working_group_id)
    else:
        query = query.where(Meeting.body_id == meeting.body_id, col(Meeting.working_group_id).is_(None))
    return session.exec(query.order_by(col(Meeting.starts_at).desc())).first()


def open_action_items(
    session: Session, *, meeting_ids: Sequence[int] = (), owner_state_id: int | None = None
) -> list[tuple[ActionItem, Meeting]]:
    """Open and in-progress action items raised at these meetings or owned by this state, with their meeting."""
    query = (
        select(ActionItem, Meeting)
        .join(Meeting, col(Meeting.id) == ActionItem.meeting_id)
        .where(col(ActionItem.status).in_(("open", "in_progress")))
    )
    if meeting_ids:
        query = query.where(col(ActionItem.meeting_id).in_(list(meeting_ids)))
    if owner_state_id is not None:
        query = query.where(ActionItem.owner_state_id == owner_state_id)
    return [
        (item, meeting)
        for item, meeting in session.exec(query.order_by(col(ActionItem.due_on), col(ActionItem.id))).all()
    ]


def for_review(session: Session, meeting: Meeting) -> list[ActionItem]:
    """Action items raised at earlier meetings of the same body or group, still open: this meeting reviews them."""
    earlier = select(Meeting.id).where(col(Meeting.starts_at) < meeting.starts_at)
    if meeting.working_group_id is not None:
        earlier = earlier.where(Meeting.working_group_id == meeting.working_group_id)
    else:
        earlier = earlier.where(Meeting.body_id == meeting.body_id, col(Meeting.working_group_id).is_(None))
    return list(
        session.exec(
            select(ActionItem)
            .where(col(ActionItem.meeting_id).in_(earlier), col(ActionItem.status).in_(("open", "in_progress")))
            .order_by(col(ActionItem.due_on), col(ActionItem.id))
        ).all()
    )


# Lists, the dashboard and calendar feeds


def _visible_query(user: User):
    """Meetings the user may see, as a query (coordinators: all)."""
    query = select(Meeting)
    if governance.coordinates(user):
        return query
    invited = select(Invitation.meeting_id).where(Invitation.user_id == user.id)
    if user.role == Role.focal_point and user.member_state_id is not None:
        as_state = select(MeetingInvitee.meeting_id).where(MeetingInvitee.state_id == user.member_state_id)
        return query.where(col(Meeting.id).in_(invited) | col(Meeting.id).in_(as_state))
    return query.where(col(Meeting.id).in_(invited))


def upcoming(
    session: Session, *, user: User, limit: int = 50, skip: int = 0, now: datetime | None = None
) -> list[Meeting]:
    """The meetings the user may see that have not ended, soonest first: `limit` of them after the first `skip`."""
    query = _visible_query(user).where(col(Meeting.ends_at) >= (now or utcnow()))
    return list(session.exec(query.order_by(col(Meeting.starts_at), col(Meeting.id)).offset(skip).limit(limit)).all())


def past(session: Session, *, user: User, limit: int = 50, skip: int = 0, now: datetime | None = None) -> list[Meeting]:
    """The meetings the user may see that have ended, latest first: `limit` of them after the first `skip`."""
    query = _visible_query(user).where(col(Meeting.ends_at) < (now or utcnow()))
    order = (col(Meeting.starts_at).desc(), col(Meeting.id).desc())
    return list(session.exec(query.order_by(*order).offset(skip).limit(limit)).all())


def upcoming_for_state(
    session: Session, *, state_id: int, limit: int = 10, now: datetime | None = None
) -> list[Meeting]:
    """The scheduled meetings a state is invited to that have not ended yet."""
    invited = select(MeetingInvitee.meeting_id).where(MeetingInvitee.state_id == state_id)
    return list(
        session.exec(
            select(Meeting)
            .where(
                col(Meeting.id).in_(invited), Meeting.status == "scheduled", col(Meeting.ends_at) >= (now or utcnow())
            )
            .order_by(col(Meeting.starts_at))
            .limit(limit)
        ).all()
    )


def published_summaries(session: Session, *, limit: int = 10) -> list[Meeting]:
    """Meetings whose summary a coordinator has published, newest meeting first: readable by anyone."""
    return list(
        session.exec(
            select(Meeting)
            .where(col(Meeting.summary_published_at).is_not(None))
            .order_by(col(Meeting.starts_at).desc())
            .limit(limit)
        ).all()
    )


def answers_of(session: Session, *, user: User, meeting_ids: list[int]) -> dict[int, Invitation]:
    """The user's invitations to these meetings, by meeting (one query)."""
    return {
        row.meeting_id: row
        for row in session.exec(
            select(Invitation).where(Invitation.user_id == user.id, col(Invitation.meeting_id).in_(meeting_ids))
        ).all()
    }


@dataclass
class Dashboard:
    """What waits for one user. `due_actions` is None for readers who have no action items to follow (observers);
    `requests` is None for those who do not decide on membership."""

    next_meetings: list[Meeting]
    waiting: list[Meeting]
    due_actions: list[tuple[ActionItem, Meeting]] | None
    recent_minutes: list[tuple[Meeting, MinutesVersion]]
    answers: dict[int, Invitation]
    requests: list[tuple[MembershipEvent, Body, MemberState]] | None = None


def dashboard(session: Session, settings: Settings, *, user: User, now: datetime | None = None) -> Dashboard:
    """Next meetings, invitations waiting for an answer, the action items the user follows (their state's, or the
    network's for coordinators and admins), the latest minutes they may read, and the membership requests waiting
    for a coordinator's decision."""
    now = now or utcnow()
    coming = upcoming(session, user=user, limit=10, now=now)
    answers = answers_of(session, user=user, meeting_ids=[id_of(m) for m in coming])
    waiting = [m for m in coming if m.id in answers and not answers[id_of(m)].answer and not m.cancelled]
    due: list[tuple[ActionItem, Meeting]] | None = None
    if governance.coordinates(user):
        due = open_action_items(session)
    elif user.role == Role.focal_point and user.member_state_id is not None:
        due = open_action_items(session, owner_state_id=user.member_state_id)
    latest = (
        select(MinutesVersion.meeting_id, func.max(MinutesVersion.id).label("newest"))
        .group_by(col(MinutesVersion.meeting_id))
        .subquery()
    )
    readable = _visible_query(user).subquery()
    rows = session.exec(
        select(Meeting, MinutesVersion)
        .join(latest, latest.c.meeting_id == Meeting.id)
        .join(MinutesVersion, col(MinutesVersion.id) == latest.c.newest)
        .where(col(Meeting.id).in_(select(readable.c.id)))
        .order_by(col(MinutesVersion.written_at).desc())
        .limit(10)
    ).all()
    members_of = _member_bodies(session, user)
    recent = [
        (meeting, version)
        for meeting, version in rows
        if governance.coordinates(user) or _is_member_meeting(meeting, members_of)
    ]
    requests = governance.pending_requests(session, settings) if governance.coordinates(user) else None
    return Dashboard(coming, waiting, due, recent[:5], answers, requests)


def _member_bodies(session: Session, user: User) -> tuple[set[int], set[int]]:
    """The bodies and working groups the user's state is a member of."""
    if user.member_state_id is None:
        return set(), set()
    bodies = {
        body_id
        for (body_id, _), standing in governance.memberships(session, state_id=user.member_state_id).items()
        if standing.is_member
    }
    groups = {
        group_id
        for group_id, states in governance.group_members(
            session, [id_of(group) for group in session.exec(select(WorkingGroup)).all()]
        ).items()
        if user.member_state_id in states
    }
    return bodies, groups


def _is_member_meeting(meeting: Meeting, members_of: tuple[set[int], set[int]]) -> bool:
    if meeting.working_group_id is not None:
        return meeting.working_group_id in members_of[1]
    return meeting.body_id in members_of[0]


def _feed_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed(session: Session, *, user: User) -> str:
    """A new private feed URL token; any earlier one stops working."""
    now = utcnow()
    for feed in session.exec(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id, col(CalendarFeed.revoked_at).is_(None))
    ).all():
        feed.revoked_at = now
        session.add(feed)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(user_id=id_of(user), token_hash=_feed_hash(token), created_at=now))
    audit.record(session, actor_id=user.id, action="new_feed", entity="calendar_feed", entity_id=user.id)
    session.commit()
    return token


def revoke_feed(session: Session, *, user: User) -> int:
    now = utcnow()
    feeds = list(
        session.exec(
            select(CalendarFeed).where(CalendarFeed.user_id == user.id, col(CalendarFeed.revoked_at).is_(None))
        ).all()
    )
    for feed in feeds:
        feed.revoked_at = now
        session.add(feed)
    audit.record(session, actor_id=user.id, action="revoke_feed", entity="calendar_feed", entity_id=user.id)
    session.commit()
    return len(feeds)


def has_feed(session: Session, *, user: User) -> bool:
    return (
        session.exec(
            select(func.count())
            .select_from(CalendarFeed)
            .where(CalendarFeed.user_id == user.id, col(CalendarFeed.revoked_at).is_(None))
        ).one()
        > 0
    )


def feed_owner(session: Session, *, token: str) -> User:
    """The active user whose private calendar link carries `token`; 404 for a revoked or unknown one."""
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.token_hash == _feed_hash(token))).first()
    owner = session.get(User, feed.user_id) if feed is not None and feed.revoked_at is None else None
    if owner is None or not owner.is_active:
        raise NotFound(N_("This calendar link does not work any more. Make a new one on the meetings page."))
    return owner


def dormant_note(settings: Settings, language: str) -> str:
    """What a calendar entry of a meeting held under a dormant body says about it, in the reader's language."""
    with in_language(language):
        return gettext(
            N_(
                "Held under a body dormant under the %(option)s, the governance option in force. The meeting has "
                "not been cancelled."
            )
        ) % {"option": governance.option_label(settings)(language)}


def organizer_address(session: Session, settings: Settings, meeting: Meeting) -> str:
    """The address calendar files and invitation emails name as the meeting's organizer (see
    `_organizer_addresses`); the creator is read once per session, however many invitations are sent."""
    if settings.mail_reply_to:
        return settings.mail_reply_to
    creator = session.get(User, meeting.created_by) if meeting.created_by is not None else None
    return creator.email if creator is not None and creator.is_active else settings.mail_from


def _organizer_addresses(session: Session, settings: Settings, meetings: Sequence[Meeting]) -> dict[int | None, str]:
    """Each meeting's organizer address, in one query: the configured reply-to address when there is one, else the
    coordinator who created the meeting while their account is active (a person who can answer), else the
    sender address. The same for every file of a meeting, so that its CANCEL matches its REQUEST."""
    if settings.mail_reply_to:
        return {meeting.id: settings.mail_reply_to for meeting in meetings}
    creators = {m.created_by for m in meetings if m.created_by is not None}
    active = (
        dict(
            session.exec(
                select(User.id, User.email).where(col(User.id).in_(creators), User.is_active == True)  # noqa: E712
            ).all()
        )
        if creators
        else {}
    )
    return {meeting.id: active.get(meeting.created_by) or settings.mail_from for meeting in meetings}


def feed_calendar(session: Session, settings: Settings, *, token: str) -> str:
    """The iCalendar feed of the token's owner: meetings from 90 days ago on, those held under a dormant body
    described as such."""
    owner = feed_owner(session, token=token)
    meetings = session.exec(
        _visible_query(owner)
        .where(col(Meeting.ends_at) >= utcnow() - timedelta(days=90))
        .order_by(col(Meeting.starts_at))
    ).all()
    network = region.load(settings.seeds_dir)
    dormant, note = governance.dormancy(session, settings), dormant_note(settings, owner.language)
    addresses = _organizer_addresses(session, settings, meetings)
    portal = network.short_name(owner.language)
    entries = [
        (
            m,
            m.title(owner.language),
            f"{settings.base_url}/meetings/{m.id}",
            _location(m),
            note if dormant.holds(m) else "",
            calendar.Organizer(addresses[m.id], portal),
        )
        for m in meetings
    ]
    return calendar.feed(entries, name=portal)


def meeting_calendar(session: Session, settings: Settings, meeting: Meeting, *, user: User) -> str:
    """The meeting to add to one's own calendar (a PUBLISH: no attendee, nothing to answer), described as such
    when it is held under a dormant body."""
    url = f"{settings.base_url}/meetings/{meeting.id}"
    network = region.load(settings.seeds_dir)
    return calendar.download(
        meeting,
        title=meeting.title(user.language),
        url=url,
        organizer=calendar.Organizer(organizer_address(session, settings, meeting), network.short_name(user.language)),
        location=_location(meeting),
        note=dormant_note(settings, user.language) if governance.dormancy(session, settings).holds(meeting) else "",
    )


def upcoming_by_body(session: Session, *, now: datetime | None = None) -> dict[int, int]:
    """How many scheduled meetings that have not ended each body holds, its working groups' included (one query)."""
    owner = func.coalesce(Meeting.body_id, WorkingGroup.body_id)
    rows = session.exec(
        select(owner, func.count())
        .select_from(Meeting)
        .outerjoin(WorkingGroup, col(WorkingGroup.id) == Meeting.working_group_id)
        .where(Meeting.status == "scheduled", col(Meeting.ends_at) >= (now or utcnow()))
        .group_by(owner)
    ).all()
    return {body_id: count for body_id, count in rows if body_id is not None}
