"""Times as the pages show them and working hours as the seeds define them, worked out without the portal's code,
for browser tests to say what they expect."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.support.browser import ROOT

WORKDAY = (time(8), time(18))
STEP = timedelta(minutes=30)


def offset_label(local: datetime) -> str:
    offset = local.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def short_time(instant: datetime, zone: str) -> str:
    """As in tables: 'Mon 22 Feb 13:00 UTC-10'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M} {offset_label(local)}"


def long_time(instant: datetime, zone: str) -> str:
    """As on the meeting page: 'Monday, 22 February 2027, 13:00 UTC-10'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A}, {local.day} {local:%B} {local.year}, {local:%H:%M} {offset_label(local)}"


def days_off() -> dict[str, set[date]]:
    """The public holidays of seeds/holidays.toml, by state code."""
    with (ROOT / "seeds" / "holidays.toml").open("rb") as source:
        entries = tomllib.load(source).get("holiday", [])
    found: dict[str, set[date]] = {}
    for entry in entries:
        found.setdefault(entry["state"], set()).add(entry["date"])
    return found


def at_work(begin: datetime, end: datetime, zone: str, holidays: set[date]) -> bool:
    """Whether [begin, end] falls within 08:00-18:00 of one working day (Monday to Friday) in the zone."""
    start, finish = begin.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    return (
        start.date() == finish.date()
        and start.weekday() < 5
        and start.date() not in holidays
        and WORKDAY[0] <= start.time()
        and finish.time() <= WORKDAY[1]
    )


def earliest_slot_for_everyone(
    first: date, last: date, *, zone: str, duration: timedelta, zones: dict[str, str]
) -> datetime:
    """The first half-hour start between two dates of `zone` at which the meeting is inside the working day of
    every state (`zones` gives each state code's capital zone)."""
    holidays = days_off()
    begin = datetime.combine(first, time(0), ZoneInfo(zone)).astimezone(UTC)
    stop = datetime.combine(last + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)
    while begin + duration <= stop:
        if all(at_work(begin, begin + duration, where, holidays.get(code, set())) for code, where in zones.items()):
            return begin
        begin += STEP
    raise AssertionError(f"no time suits all of {sorted(zones)} between {first} and {last}")


def short_day(day: date) -> str:
    """A date as tables show it in English: '5 Dec 2026'."""
    return f"{day.day} {day:%b} {day.year}"
