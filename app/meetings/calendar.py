"""iCalendar (RFC 5545) for meetings: invitations (METHOD REQUEST), cancellations (CANCEL) and feeds."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from app.db import utcnow
from app.meetings.models import Meeting

PRODID = "-//Pacific Region Cooperation Network//Portal//EN"


def _calendar(method: str | None, name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    return calendar


def _event(
    meeting: Meeting,
    *,
    title: str,
    url: str,
    organizer: str,
    attendee: str | None,
    location: str,
    cancelled: bool,
    note: str = "",
) -> Event:
    zone = ZoneInfo(meeting.host_zone)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.ics_sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", title)
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
    if note:
        event.add("description", note)
    event["organizer"] = vCalAddress(f"mailto:{organizer}")
    if attendee:
        address = vCalAddress(f"mailto:{attendee}")
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["RSVP"] = vText("TRUE")
        event.add("attendee", address, encode=False)
    return event


def invitation(
    meeting: Meeting, *, title: str, url: str, organizer: str, attendee: str, location: str, note: str = ""
) -> str:
    """A REQUEST, or a CANCEL when the meeting is cancelled, for one attendee; `note` becomes its description."""
    method = "CANCEL" if meeting.cancelled else "REQUEST"
    calendar = _calendar(method, title)
    calendar.add_component(
        _event(
            meeting,
            title=title,
            url=url,
            organizer=organizer,
            attendee=attendee,
            location=location,
            cancelled=meeting.cancelled,
            note=note,
        )
    )
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def feed(entries: Iterable[tuple[Meeting, str, str, str, str]], *, name: str, organizer: str) -> str:
    """A subscription feed (no METHOD) of meetings given as (meeting, title, url, location, note)."""
    calendar = _calendar(None, name)
    for meeting, title, url, location, note in entries:
        calendar.add_component(
            _event(
                meeting,
                title=title,
                url=url,
                organizer=organizer,
                attendee=None,
                location=location,
                cancelled=meeting.cancelled,
                note=note,
            )
        )
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
