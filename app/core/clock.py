"""The portal's one clock: the current instant, and the date it is in a zone. Both are read at each call and never
kept, so the whole portal agrees on the time and a test run under faketime sees the time it set."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.core.formats import zone_info


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


def today(zone: str) -> date:
    """The date it is now in the IANA zone `zone` (a place's, or "UTC")."""
    return now().astimezone(zone_info(zone)).date()
