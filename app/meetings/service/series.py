"""Series of meetings and their occurrences, and moving or cancelling a meeting."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core import clock
from app.core.config import Settings
from app.core.errors import Conflict, DomainError
from app.core.formats import zone_info
from app.core.i18n import N_
from app.governance import service as governance
from app.meetings import mail, timing
from app.meetings.models import (
    CADENCES,
    QUARTER,
    REPEAT_LIMITS,
    Meeting,
    MeetingSeries,
)
from app.meetings.service.agendas import check_agenda_fits
from app.meetings.service.invitations import invitations_of, send_invitations, sent_invitations
from app.meetings.service.rights import require_runner
from app.meetings.service.scheduling import (
    TITLE_LIMIT,
    MeetingForm,
    add_meeting,
    checked_title,
    instants,
    meeting_owner,
    parse_clock,
    parse_day,
    parse_duration,
    resolve_host_zone,
    snapshot,
)

QUARTERLY_OCCURRENCES = 4


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
    require_runner(user)
    if cadence not in CADENCES:
        raise DomainError(N_("Choose quarterly or custom."))
    body_id, group_id = meeting_owner(
        session, settings, body_key=body_key, working_group_id=working_group_id, user=user
    )
    starts = parse_clock(local_start)
    if not first_day.strip():
        raise DomainError(N_("Give the date of the first meeting."))
    every, unit = _interval(repeat_every, repeat_unit) if cadence == "custom" else (None, None)
    series = MeetingSeries(
        title_en=checked_title(title),
        title_fr=title_fr.strip()[:TITLE_LIMIT] or title.strip(),
        cadence=cadence,
        repeat_every=every,
        repeat_unit=unit,
        body_id=body_id,
        working_group_id=group_id,
        host_zone=resolve_host_zone(session, host_zone, host_state),
        local_start=starts.strftime("%H:%M"),
        duration_minutes=int(parse_duration(duration).total_seconds() // 60),
        created_at=clock.now(),
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
    today = (now or clock.now()).astimezone(zone_info(series.host_zone)).date()
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
    require_runner(user)
    start = parse_day(first_day) if first_day else next_day(session, settings, series)
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
    require_runner(user)
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
    before, previous = snapshot(meeting), mail.Facts.of(meeting)
    meeting.starts_at, meeting.ends_at = instants(form, zone)
    meeting.host_zone = zone
    check_agenda_fits(session, meeting)
    meeting.ics_sequence += 1
    session.add(meeting)
    audit.record(
        session,
        actor_id=user.id,
        action="move",
        entity="meeting",
        entity_id=meeting.id,
        before=before,
        after=snapshot(meeting),
    )
    send_invitations(session, settings, meeting, invitations_of(session, meeting), before=previous)
    session.commit()
    return meeting


def cancel_meeting(session: Session, settings: Settings, *, user: User, meeting: Meeting) -> Meeting:
    """Cancels one meeting; everyone invited receives a CANCEL for their calendar."""
    require_runner(user)
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled already."))
    before, previous = snapshot(meeting), mail.Facts.of(meeting)
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
        after=snapshot(meeting),
    )
    send_invitations(session, settings, meeting, sent_invitations(session, meeting), before=previous)
    session.commit()
    return meeting
