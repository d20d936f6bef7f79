"""Days typed into forms: read as YYYY-MM-DD, refused in the form's own words, held to the years the portal plans in;
and a form's refusals kept field by field, then given in one answer."""

from __future__ import annotations

from datetime import date

import pytest

from app.core.errors import Conflict, DomainError, Forbidden, NotFound, Quantity
from app.core.forms import DAY_AS_ISO, FieldErrors, FormErrors, filter_day, parse_day, parse_day_or_none, refusals
from app.core.i18n import N_, in_language
from app.core.web import Messages, error_text

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


# Every field's refusal in one answer


def test_a_form_whose_fields_all_pass_raises_nothing_and_keeps_each_value() -> None:
    errors = FieldErrors()
    with errors.field() as starting:
        starts = parse_day("2027-03-04")
    with errors.field() as ending:
        ends = parse_day("2027-03-08")

    errors.raise_any()
    assert (starting.ok, ending.ok) == (True, True)
    assert (starts, ends) == (date(2027, 3, 4), date(2027, 3, 8))


def test_one_wrong_field_is_raised_as_itself_so_a_one_error_form_answers_as_before() -> None:
    errors = FieldErrors()
    taken = Conflict(N_("This need has been withdrawn."))
    with errors.field():
        parse_day("2027-03-04")
    with errors.field() as withdrawn:
        raise taken

    assert not withdrawn.ok
    with pytest.raises(Conflict) as refused:
        errors.raise_any()
    assert refused.value is taken
    assert refusals(refused.value) == (taken,)


def test_every_wrong_field_is_kept_in_the_forms_order_and_raised_once_with_the_first_ones_status() -> None:
    errors = FieldErrors()
    with errors.field():
        raise Conflict(N_("This need has been withdrawn."))
    with errors.field() as starting:
        parse_day("soon", N_("Give the first day of the course as a date."))
    errors.add(DomainError(N_("Choose a track from the list.")))

    assert not starting.ok
    with pytest.raises(FormErrors) as refused:
        errors.raise_any()
    assert [each.message for each in refusals(refused.value)] == [
        "This need has been withdrawn.",
        "Give the first day of the course as a date.",
        "Choose a track from the list.",
    ]
    assert refused.value.status_code == 409
    assert refused.value.message == "This need has been withdrawn."


@pytest.mark.parametrize("kind", [Forbidden, NotFound])
def test_what_the_reader_may_not_do_or_what_is_not_there_goes_on_at_once_and_alone(kind: type[DomainError]) -> None:
    errors = FieldErrors()
    with errors.field():
        parse_day("soon")
    with pytest.raises(kind), errors.field():
        raise kind(N_("You can act only for your own state."))

    assert [each.message for each in errors.found] == [DAY_AS_ISO]


def test_what_is_not_a_refusal_is_never_kept_as_a_fields_error() -> None:
    errors = FieldErrors()
    with pytest.raises(ZeroDivisionError), errors.field():
        _ = 1 // 0

    errors.raise_any()


def test_the_refusals_read_one_after_the_other_and_as_a_list_in_the_readers_language() -> None:
    refused = FormErrors(
        [
            DomainError(N_("Choose an area from the list.")),
            DomainError(N_("Funding needs a whole amount from 1 to %(high)s."), high=Quantity(2_000_000_000)),
            DomainError(N_("Unknown time zone: %(zone)s. Choose one from the list."), zone="Pacific/Atlantis"),
        ]
    )

    with in_language("en"):
        english = error_text(refused)
    with in_language("fr"):
        french = error_text(refused)

    assert isinstance(english, Messages) and isinstance(french, Messages)
    assert english == (
        "Choose an area from the list. Funding needs a whole amount from 1 to 2,000,000,000. "
        "Unknown time zone: Pacific/Atlantis. Choose one from the list."
    )
    assert english.each[0] == "Choose an area from the list."
    assert french.each == (
        "Choisissez un domaine dans la liste.",
        "Un financement exige un montant entier de 1 à 2\u202f000\u202f000\u202f000.",
        "Fuseau horaire inconnu\u00a0: Pacific/Atlantis. Choisissez-en un dans la liste.",
    )
    assert french == " ".join(french.each)


def test_a_single_refusal_reads_as_its_message_alone() -> None:
    with in_language("fr"):
        assert not isinstance(error_text(DomainError(N_("Choose an area from the list."))), Messages)
        assert error_text(DomainError(N_("Choose an area from the list."))) == "Choisissez un domaine dans la liste."
