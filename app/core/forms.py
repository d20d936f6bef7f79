"""Days typed into forms, read one way everywhere: YYYY-MM-DD, in the years the portal plans in."""

from __future__ import annotations

from datetime import date

from app.core.edge import check_year
from app.core.errors import DomainError
from app.core.i18n import N_

DAY_AS_ISO = N_("Enter a date as YYYY-MM-DD.")


def parse_day(value: str, message: str = DAY_AS_ISO) -> date:
    """The day typed, refused with `message` when it is empty or not a day in the calendar, and with the edge's
    message when its year is outside the portal's (a day written without dashes does not reach the edge's check)."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(message) from None
    check_year(day.year)
    return day


def parse_day_or_none(value: str, message: str = DAY_AS_ISO) -> date | None:
    """The day typed, or None when the field is left empty."""
    return parse_day(value, message) if value.strip() else None


def filter_day(value: str) -> date | None:
    """A day a list is filtered by, or None when the filter is empty or not a day: the list is then not narrowed."""
    try:
        return parse_day(value)
    except DomainError:
        return None
