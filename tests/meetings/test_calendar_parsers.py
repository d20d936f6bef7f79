"""Every mainstream calendar parser places our meetings at the instant we stored: Python's icalendar (by the
zone's name and by the file's own VTIMEZONE) and Mozilla's ical.js (Thunderbird, many web calendars), run by
Node on tests/js/ical-instants.mjs. For every zone the meeting form offers, plus a few Pacific zones with odd
daylight saving, meetings in a southern summer month, a southern winter month, on each side of each change of
offset in 2027 and across it, read from the invitation emailed, the file downloaded and the private feed."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import Session, select

from app.core import region
from app.core.config import ROOT, Settings
from app.meetings import service
from app.meetings.models import Meeting
from tests.meetings.conftest import Cast, MeetingFactory, outbox_for

JS = ROOT / "tests" / "js"
# Zones no seeded state uses but the region has: Norfolk Island and Lord Howe Island (a half-hour change), and
# one northern-hemisphere-timed southern zone (Chile, whose changes fall in April and September).
EXTRA_ZONES = ("Pacific/Norfolk", "Australia/Lord_Howe", "America/Santiago")
YEAR = 2027


@dataclass(frozen=True)
class Case:
    zone: str
    day: date
    start: str
    duration: int
    why: str


def changes(zone: str, year: int) -> list[datetime]:
    """The instants the zone's offset changes in the year (UTC), probed by the hour."""
    tz = ZoneInfo(zone)
    found, hour = [], datetime(year, 1, 1, tzinfo=UTC)
    offset = hour.astimezone(tz).utcoffset()
    while hour.year == year:
        step = hour + timedelta(hours=1)
        if step.astimezone(tz).utcoffset() != offset:
            found.append(step)
            offset = step.astimezone(tz).utcoffset()
        hour = step
    return found


def cases(zones: list[str]) -> list[Case]:
    found = []
    for zone in zones:
        found.append(Case(zone, date(YEAR, 1, 12), "10:00", 120, "January"))
        found.append(Case(zone, date(YEAR, 7, 13), "10:00", 120, "July"))
        for change in changes(zone, YEAR):
            local = change.astimezone(ZoneInfo(zone))
            found.append(Case(zone, local.date() - timedelta(days=1), "10:00", 120, "day before a change"))
            found.append(Case(zone, local.date() + timedelta(days=1), "10:00", 120, "day after a change"))
            # From 90 minutes before the change to 90 minutes after: its end may fall in the hour shown twice.
            before = (change - timedelta(minutes=90)).astimezone(ZoneInfo(zone))
            found.append(Case(zone, before.date(), before.strftime("%H:%M"), 180, "across a change"))
    return found


def read_with_icaljs(files: list[str]) -> list[dict[str, str]]:
    if not (JS / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js is not installed: run `make test-deps` (npm ci in tests/js)")
    result = subprocess.run(
        ["node", str(JS / "ical-instants.mjs")],
        input="".join(files),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": "UTC"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def read_with_icalendar(text: str) -> list[tuple[str, datetime, datetime, datetime, datetime]]:
    """Each event's UID, then start and end as icalendar gives them (zone by name), then as the file's own
    VTIMEZONE rules place them."""
    calendar = Calendar.from_ical(text)
    rules = {str(tz["tzid"]): tz.to_tz(lookup_tzid=False) for tz in calendar.walk("VTIMEZONE")}

    def by_rules(prop: object) -> datetime:
        value = prop.dt  # type: ignore[attr-defined]
        tzid = prop.params.get("TZID")  # type: ignore[attr-defined]
        if tzid is None:
            return value.astimezone(UTC)
        return value.replace(tzinfo=None).replace(tzinfo=rules[str(tzid)]).astimezone(UTC)

    return [
        (
            str(event["uid"]),
            event.decoded("dtstart").astimezone(UTC),
            event.decoded("dtend").astimezone(UTC),
            by_rules(event["dtstart"]),
            by_rules(event["dtend"]),
        )
        for event in calendar.walk("VEVENT")
    ]


def disagreements(stored: dict[str, tuple[datetime, datetime, str]], files: list[tuple[str, str]]) -> list[str]:
    """What any parser reads differently from the stored instants, one line each; `files` are (kind, text)."""
    wrong = []
    by_icaljs = iter(read_with_icaljs([text for _, text in files]))
    for kind, text in files:
        for uid, start, end, start_by_rules, end_by_rules in read_with_icalendar(text):
            starts_at, ends_at, label = stored[uid]
            js = next(by_icaljs)
            assert js["uid"] == uid
            readings = {
                "icalendar": (start, end),
                "icalendar by VTIMEZONE": (start_by_rules, end_by_rules),
                "ical.js": (datetime.fromisoformat(js["start"]), datetime.fromisoformat(js["end"])),
            }
            for parser, (start_read, end_read) in readings.items():
                if (start_read, end_read) != (starts_at, ends_at):
                    wrong.append(
                        f"{kind} {label}: {parser} reads {start_read:%Y-%m-%d %H:%M}–{end_read:%H:%M} UTC, "
                        f"stored {starts_at:%Y-%m-%d %H:%M}–{ends_at:%H:%M} UTC"
                    )
            if {js["startZone"], js["endZone"]} - {"UTC", label.split()[0]}:
                wrong.append(f"{kind} {label}: ical.js resolved the zones as {js['startZone']}, {js['endZone']}")
    assert next(by_icaljs, None) is None
    return wrong


def test_every_parser_places_every_offered_zones_meetings_at_the_stored_instant(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    zones = sorted({*region.time_zones(settings.seeds_dir), *EXTRA_ZONES})
    assert {"Pacific/Apia", "Pacific/Rarotonga", "Australia/Sydney", "Pacific/Chatham", "Asia/Tokyo"} <= set(zones)
    made = {}
    for case in cases(zones):
        # Where the start falls in an hour shown twice, the first of the two is meant.
        meeting = make_meeting(
            day=case.day.isoformat(),
            start=case.start,
            duration=case.duration,
            host_zone=case.zone,
            chosen=f"{case.day.isoformat()}T{case.start}/0",
        )
        made[meeting.id] = (meeting, f"{case.zone} {case.day} {case.start} ({case.why})")
    # Changes in Auckland, Chatham, Sydney, Adelaide, Norfolk, Lord Howe and Santiago: four cases each besides
    # January and July.
    assert len(made) >= 2 * len(zones) + 3 * 2 * 7
    rows = session.exec(select(Meeting.id, Meeting.uid, Meeting.starts_at, Meeting.ends_at)).all()
    stored = {uid: (starts_at, ends_at, made[id_][1]) for id_, uid, starts_at, ends_at in rows}

    fiji = cast.focal["FJ"]
    for meeting, _ in made.values():
        service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[cast.states["FJ"].id])
    files = [("invitation", message.calendar or "") for message in outbox_for(session, fiji)]
    assert len(files) == len(made)
    files += [
        ("download", service.meeting_calendar(session, settings, meeting, user=fiji)) for meeting, _ in made.values()
    ]
    files.append(("feed", service.feed_calendar(session, settings, token=service.new_feed(session, user=fiji))))

    wrong = disagreements(stored, files)
    assert not wrong, f"{len(wrong)} readings differ from the stored instants:\n" + "\n".join(wrong[:40])


def test_the_hour_shown_twice_is_written_as_the_instant_itself(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    """Auckland leaves daylight saving at 03:00 on 4 April 2027: 02:00–03:00 happens twice, so a meeting ending
    at 02:30 the second time cannot be written as local time; the file gives it in UTC, which every parser reads
    alike."""
    meeting = make_meeting(day="2027-04-04", start="01:00", duration=150, host_zone="Pacific/Auckland")
    starts_at = datetime.combine(date(2027, 4, 4), time(1, 0), ZoneInfo("Pacific/Auckland")).astimezone(UTC)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=150)
    text = service.meeting_calendar(session, settings, meeting, user=cast.focal["FJ"])
    assert "DTSTART;TZID=Pacific/Auckland:20270404T010000" in text
    assert "DTEND:20270403T143000Z" in text
    stored = {meeting.uid: (meeting.starts_at, meeting.ends_at, "Pacific/Auckland hour shown twice")}
    assert meeting.starts_at == starts_at
    assert disagreements(stored, [("download", text)]) == []
