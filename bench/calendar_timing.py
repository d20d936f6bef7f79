"""How long one meeting's calendar file takes to build: `python -m bench.calendar_timing [ROUNDS]`.

Builds an invitation and a ten-meeting feed for each zone the meeting form offers, the first round (nothing kept
yet) timed apart from the following rounds, and prints milliseconds per file. No database is needed.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from app.core.config import ROOT
from app.core.region import time_zones
from app.meetings import calendar
from app.meetings.models import Meeting


def meeting(zone: str, number: int, starts_at: datetime) -> Meeting:
    return Meeting(
        id=number,
        title_en="Timing",
        title_fr="Chronométrage",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        host_zone=zone,
        format="online",
        uid=f"timing-{zone}-{number}@example.org",
        created_at=starts_at,
    )


# Before the portal wrote its own VTIMEZONEs (commit "Calendar files every client reads the same way") the
# organizer was a bare address; the script runs on both, to compare.
NEW = hasattr(calendar, "Organizer")
ORGANIZER = calendar.Organizer("portal@example.org", "PRCN") if NEW else "portal@example.org"  # type: ignore[attr-defined]


def invitation(item: Meeting) -> str:
    return calendar.invitation(
        item,
        title="Timing",
        url="https://example.org/m",
        organizer=ORGANIZER,
        attendee="person@example.org",
        location="",
    )


def feed(items: list[Meeting]) -> str:
    if NEW:
        return calendar.feed([(m, "Timing", "https://example.org/m", "", "", ORGANIZER) for m in items], name="Timing")
    return calendar.feed(  # type: ignore[call-arg]
        [(m, "Timing", "https://example.org/m", "", "") for m in items], name="Timing", organizer=ORGANIZER
    )


def main(rounds: int) -> None:
    zones = time_zones(ROOT / "seeds")
    first = datetime(2027, 1, 12, 22, 0, tzinfo=UTC)
    per_zone = {zone: [meeting(zone, n, first + timedelta(days=30 * n)) for n in range(10)] for zone in zones}
    for label, build in (
        ("invitation", lambda zone: invitation(per_zone[zone][0])),
        ("feed of 10 meetings", lambda zone: feed(per_zone[zone])),
    ):
        timings: list[list[float]] = []
        for _ in range(rounds):
            row = []
            for zone in zones:
                started = time.perf_counter()
                build(zone)
                row.append((time.perf_counter() - started) * 1000)
            timings.append(row)
        cold = statistics.median(timings[0])
        warm = statistics.median([value for row in timings[1:] for value in row]) if rounds > 1 else cold
        print(f"{label:<20} {len(zones)} zones: first build {cold:7.2f} ms, then {warm:7.2f} ms (median per file)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
