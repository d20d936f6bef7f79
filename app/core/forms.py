"""What forms share: days typed read one way everywhere (YYYY-MM-DD, in the years the portal plans in), and every
field a form got wrong reported in one answer."""

from __future__ import annotations

from datetime import date
from types import TracebackType

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


class FormErrors(DomainError):
    """Several fields of one form refused at once, in the form's order; its status is the first refusal's."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.message, first.status_code, **first.params)
        self.errors = tuple(errors)


class Field:
    """One field's check, run as a `with` block: its refusal is kept by the form's FieldErrors, and `ok` says
    whether the field passed, so a rule across fields runs only on fields that did."""

    def __init__(self, found: list[DomainError]) -> None:
        self.found = found
        self.ok = True

    def __enter__(self) -> Field:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> bool:
        if not isinstance(error, DomainError) or error.status_code in (403, 404):
            return False  # what the reader may not do, or what is not there, is no field's error: it goes on alone
        self.ok = False
        self.found.append(error)
        return True


class FieldErrors:
    """Checks every field of a form and then refuses once with all that was wrong:
    `with errors.field(): title = checked_title(form.title)` for each field, then `errors.raise_any()`."""

    def __init__(self) -> None:
        self.found: list[DomainError] = []

    def field(self) -> Field:
        return Field(self.found)

    def add(self, error: DomainError) -> None:
        """A refusal found by a rule across fields."""
        self.found.append(error)

    def raise_any(self) -> None:
        """Raises nothing when every field passed, the refusal itself when one did not, else FormErrors."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise FormErrors(self.found)


def refusals(error: DomainError) -> tuple[DomainError, ...]:
    """Each refusal a domain error stands for: those of a FormErrors, or the error itself."""
    return error.errors if isinstance(error, FormErrors) else (error,)
