"""Domain errors carry a translatable message and an HTTP status; one handler renders them."""

from __future__ import annotations

from typing import Any

from app.core.i18n import N_


class Label(str):
    """A message parameter that is itself a msgid (a form label): shown translated."""


class Localised(str):
    """A message parameter written in each language (a state's name): shown in the reader's."""

    french: str

    def __new__(cls, english: str, french: str) -> Localised:
        text = super().__new__(cls, english)
        text.french = french
        return text

    def in_language(self, language: str) -> str:
        return self.french if language == "fr" else str(self)


class Quantity(int):
    """A message parameter that is a count or an amount: written with the reader's separators (25,000; 25 000)."""


class FileSize(int):
    """A message parameter that is a number of bytes: written as a size in the reader's units (10.0 MB; 10,0 Mo)."""


class DomainError(Exception):
    """A refusal the user should read: message is a gettext msgid, params fill its placeholders."""

    status_code = 400
    heading: str | None = None

    def __init__(self, message: str, status_code: int | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        if status_code is not None:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404


class Dormant(NotFound):
    """Kept but not shown: the governance option in force leaves it dormant."""

    heading = N_("Dormant under this option")


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class TooManyAttempts(DomainError):
    status_code = 429
