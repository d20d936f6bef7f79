"""iCalendar (RFC 5545, RFC 5546) for meetings: invitations (METHOD REQUEST), cancellations (CANCEL), and the
files people add to their own calendars (PUBLISH): one meeting's download and the private feeds.

Every time carries its host zone's TZID with a VTIMEZONE written here rather than by icalendar's
`add_missing_timezones()`: that one lists a zone's past changes as one RDATE with many dates, of which Mozilla's
ical.js (Thunderbird, many web calendars) reads only the first, and so places meetings in Apia, Rarotonga,
Sydney, Auckland or Chatham up to an hour off. Ours holds only the changes from a year before the file's first
meeting to a year after its last, each as its own STANDARD or DAYLIGHT part with one DTSTART, which every
mainstream parser reads the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

from app.core import clock
from app.core.formats import zone_info
from app.meetings.models import Meeting

PRODID = "-//Pacific Region Cooperation Network//Portal//EN"
DAY = 86_400
# The years of changes a VTIMEZONE holds on each side of its meetings.
MARGIN_YEARS = 1


@dataclass(frozen=True)
class Organizer:
    """Who a calendar program shows as the meeting's organizer: an address and a name (the network's)."""

    address: str
    name: str

    def as_ical(self) -> vCalAddress:
        organizer = vCalAddress(f"mailto:{self.address}")
        organizer.params["CN"] = vText(self.name)
        return organizer


# VTIMEZONE


def _state(zone: ZoneInfo, timestamp: int) -> tuple[timedelta, timedelta, str]:
    local = datetime.fromtimestamp(timestamp, zone)
    return local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or ""


def _changes(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, tuple[timedelta, timedelta, str]]]:
    """The zone's state at `start`, then each change of offset, daylight saving or name before `end`, as (UTC
    timestamp, state from then on). Probed a day at a time, each change found to the second by bisection (no zone
    has changed twice in a day since 2011, when Apia skipped a day in one change)."""
    found = [(start, _state(zone, start))]
    here, state = start, found[0][1]
    while here < end:
        there = min(here + DAY, end)
        if _state(zone, there) == state:
            here = there
            continue
        low, high = here, there
        while high - low > 1:
            middle = (low + high) // 2
            if _state(zone, middle) == state:
                low = middle
            else:
                high = middle
        here, state = high, _state(zone, high)
        found.append((here, state))
    return found


@lru_cache(maxsize=1024)
def vtimezone(name: str, first_year: int, last_year: int) -> Timezone:
    """The zone's rules from 1 January of `first_year` to the end of `last_year` (UTC): one part for the offset in
    force on that first day, then one part per change. Built once per zone and span, kept for the process: the
    component is shared by every file that uses it, so it is never modified."""
    zone = zone_info(name)
    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    timezone = Timezone()
    timezone.add("tzid", name)
    before: timedelta | None = None
    for timestamp, (offset, dst, abbreviation) in _changes(zone, start, end):
        part = TimezoneDaylight() if dst else TimezoneStandard()
        previous = offset if before is None else before
        # DTSTART is the local time the change happens at, read on the clock of the offset it leaves.
        part.add("dtstart", datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None) + previous)
        part.add("tzoffsetfrom", previous)
        part.add("tzoffsetto", offset)
        if abbreviation:
            part.add("tzname", abbreviation)
        timezone.add_component(part)
        before = offset
    return timezone


def _add_timezones(calendar: Calendar) -> None:
    """Puts before the events a VTIMEZONE for each TZID they use, spanning a year on each side of their times."""
    years: dict[str, list[int]] = {}
    for event in calendar.walk("VEVENT"):
        for key in ("DTSTART", "DTEND"):
            prop = event.get(key)
            if prop is not None and "TZID" in prop.params:
                years.setdefault(str(prop.params["TZID"]), []).append(prop.dt.astimezone(UTC).year)
    timezones = [vtimezone(name, min(found) - MARGIN_YEARS, max(found) + MARGIN_YEARS) for name, found in years.items()]
    calendar.subcomponents[0:0] = timezones


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant on the host's clock; in UTC when that clock shows the same time twice (the hour a zone leaves
    daylight saving), since a local time then names the first of the two and could be an hour off."""
    local = instant.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return instant.astimezone(UTC)
    return local


# Files


def _calendar(method: str, name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    return calendar


def _event(
    meeting: Meeting,
    *,
    title: str,
    url: str,
    organizer: Organizer,
    attendee: str | None,
    location: str,
    note: str = "",
) -> Event:
    zone = zone_info(meeting.host_zone)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.ics_sequence)
    event.add("dtstamp", clock.now())
    event.add("dtstart", _local(meeting.starts_at, zone))
    event.add("dtend", _local(meeting.ends_at, zone))
    event.add("summary", title)
    event.add("url", url)
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
    if note:
        event.add("description", note)
    event.add("organizer", organizer.as_ical(), encode=False)
    if attendee:
        address = vCalAddress(f"mailto:{attendee}")
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        # The portal reads no mailbox: answers are given on the meeting's page, so no program offers to reply.
        address.params["RSVP"] = vText("FALSE")
        event.add("attendee", address, encode=False)
    return event


def _text(calendar: Calendar) -> str:
    _add_timezones(calendar)
    return calendar.to_ical().decode()


def invitation(
    meeting: Meeting, *, title: str, url: str, organizer: Organizer, attendee: str, location: str, note: str = ""
) -> str:
    """The email's REQUEST, or CANCEL when the meeting is cancelled, for one attendee, asked for no reply."""
    calendar = _calendar("CANCEL" if meeting.cancelled else "REQUEST", title)
    calendar.add_component(
        _event(meeting, title=title, url=url, organizer=organizer, attendee=attendee, location=location, note=note)
    )
    return _text(calendar)


def download(meeting: Meeting, *, title: str, url: str, organizer: Organizer, location: str, note: str = "") -> str:
    """One meeting to add to one's own calendar: a PUBLISH with no attendee, so no program offers to answer it."""
    calendar = _calendar("PUBLISH", title)
    calendar.add_component(
        _event(meeting, title=title, url=url, organizer=organizer, attendee=None, location=location, note=note)
    )
    return _text(calendar)


def feed(entries: Iterable[tuple[Meeting, str, str, str, str, Organizer]], *, name: str) -> str:
    """A subscription feed (PUBLISH, no attendees) of meetings given as (meeting, title, url, location, note,
    organizer)."""
    calendar = _calendar("PUBLISH", name)
    for meeting, title, url, location, note, organizer in entries:
        calendar.add_component(
            _event(meeting, title=title, url=url, organizer=organizer, attendee=None, location=location, note=note)
        )
    return _text(calendar)
