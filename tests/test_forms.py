"""Days typed into forms: read as YYYY-MM-DD, refused in the form's own words, held to the years the portal plans in."""

from __future__ import annotations

from datetime import date

import pytest

from app.core.errors import DomainError
from app.core.forms import DAY_AS_ISO, filter_day, parse_day, parse_day_or_none
from app.core.i18n import N_

YEARS = "Give dates between the years %(first)s and %(last)s."


def test_a_typed_day_is_read_with_the_spaces_around_it_left_out() -> None:
    assert parse_day(" 2027-03-04 ") == date(2027, 3, 4)
    assert parse_day_or_none("2027-03-04") == date(2027, 3, 4)


@pytest.mark.parametrize("value", ["", "   ", "04/03/2027", "2027-02-30", "next July"])
def test_what_is_not_a_day_is_refused_in_the_forms_own_words(value: str) -> None:
    with pytest.raises(DomainError) as default:
        parse_day(value)
    with pytest.raises(DomainError) as own:
        parse_day(value, N_("Give the first day of the course as a date."))

    assert default.value.message == DAY_AS_ISO == "Enter a date as YYYY-MM-DD."
    assert own.value.message == "Give the first day of the course as a date."


@pytest.mark.parametrize("value", ["1899-12-31", "2200-01-01", "00010101", " 0001-01-01"])
def test_a_day_outside_the_portals_years_is_refused_however_it_is_written(value: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_day(value)

    assert refused.value.message == YEARS
    assert refused.value.params == {"first": 1900, "last": 2199}


def test_an_empty_field_may_stay_empty_but_a_wrong_day_is_still_refused() -> None:
    assert parse_day_or_none("  ") is None
    with pytest.raises(DomainError):
        parse_day_or_none("31/12/2027", N_("Give the date the need is wanted by as a date, or leave it empty."))


@pytest.mark.parametrize(("value", "expected"), [("2027-03-04", date(2027, 3, 4)), ("", None), ("soon", None)])
def test_a_list_filter_ignores_what_is_not_a_day(value: str, expected: date | None) -> None:
    assert filter_day(value) == expected


def test_a_list_filter_ignores_a_day_outside_the_portals_years() -> None:
    assert filter_day("00010101") is None
