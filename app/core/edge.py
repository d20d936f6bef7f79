"""What the portal refuses at its edge, before any route reads a request: bodies over the limit, characters no field
may hold, ids no row can have, dates no meeting or course can fall on. And HEAD answered wherever GET is."""

from __future__ import annotations

import copy
import logging
import re
from datetime import date
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.db import writes
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_

# Control characters (tab, line feed and carriage return excepted), DEL, C1 controls, line and paragraph separators.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
LARGEST_ID = 2**63 - 1
DAY = re.compile(r"^(\d{4,})-(\d{2})-(\d{2})(T[\d:.]+)?$")
FIRST_YEAR, LAST_YEAR = 1900, 2199
# A form without a file never needs more than this; a form with one, the upload limit and this.
FORM_BYTES = 2 * 1024 * 1024


class TooLarge(HTTPException):
    """The request's body is larger than the portal takes: an HTTP error, so that no body parser turns it into a
    400 on its way out."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def body_limit(scope: Scope) -> int:
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
    if content_type.startswith(b"multipart/form-data"):
        return get_settings().upload_max_bytes + FORM_BYTES
    return FORM_BYTES


class BodyLimit:
    """Refuses a body over the limit before anything reads it: at once when its length is declared, and as soon as
    the limit is passed when it is streamed without one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope)
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge
            return message

        await self.app(scope, counted, send)


# The GET addresses whose answer writes, declared by their routes' modules with `writes_on_get`.
_writing_gets: set[str] = set()


def writes_on_get(*paths: str) -> None:
    """Declares addresses whose GET writes (a secret stored on first view, say): their transactions take the write
    lock as they begin, as those of POSTs do, or two views at the same moment find SQLite locked."""
    _writing_gets.update(paths)


class WriteIntent:
    """Marks the requests that may write (POST and the like, and the GETs declared to), for the database to take its
    write lock early."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["method"] not in ("GET", "HEAD", "OPTIONS") or scope["path"] in _writing_gets
        ):
            with writes():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


class HeadAsGet:
    """Answers HEAD wherever GET is answered (monitors probe with HEAD), with the headers and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


async def refuse_hostile_input(request: Request) -> None:
    """Refuses characters no field may hold, ids beyond any row and dates outside the years the portal plans in,
    in the address and in a posted form, with a message in the visitor's language; nothing is changed."""
    for value in request.path_params.values():
        check(str(value), in_path=True)
    for value in request.query_params.values():
        check(value)
    if request.method in ("POST", "PUT", "PATCH") and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        for value in form.values():
            check(value.filename or "" if isinstance(value, UploadFile) else value, in_form=True)


def check(value: str, *, in_path: bool = False, in_form: bool = False) -> None:
    """Refuses one value of a request; an impossible id in the address is a page that does not exist.
    A posted day that is not in the calendar is left to its form, which says so and keeps what was typed."""
    if FORBIDDEN.search(value):
        raise DomainError(
            N_("The form holds control characters (such as NUL or a line separator) that no field accepts.")
        )
    digits = _digits(value)
    if digits.isdecimal() and (len(digits.lstrip("0")) > len(str(LARGEST_ID)) or int(digits) > LARGEST_ID):
        if in_path:
            raise NotFound(N_("This page does not exist."))
        raise DomainError(N_("A number in the request is larger than any the portal keeps."))
    found = DAY.match(value)
    if found is None:
        return
    check_year(int(found.group(1)))
    if not in_form:
        try:
            date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        except ValueError:
            raise DomainError(N_("%(day)s is not a date in the calendar."), day=value[:10]) from None


def _digits(value: str) -> str:
    """The digits of a value as the form parsers read a whole number: around its spaces, after one sign and without
    the underscores that group digits ("-1_000" is -1000)."""
    number = value.strip().replace("_", "")
    return number[1:] if number[:1] in ("+", "-") else number


def check_year(year: int) -> None:
    """Refuses a day outside the years the portal plans in."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(N_("Give dates between the years %(first)s and %(last)s."), first=FIRST_YEAR, last=LAST_YEAR)


# Addresses that carry a secret: one-time links, invitations, private calendar feeds; and single-use query values.
SECRET_IN_PATH = re.compile(r"^(/auth/reset/|/auth/link/|/invitations/|/calendar/|/training/calendar/)[^/?#]+")
SECRET_IN_QUERY = re.compile(r"(?<=[?&])(code|state|token)=[^&#]*")


def redact(path: str) -> str:
    """The address as it may be logged: the secret parts replaced."""
    path = SECRET_IN_PATH.sub(lambda found: found.group(1) + "[secret]", path)
    return SECRET_IN_QUERY.sub(lambda found: found.group(1) + "=[secret]", path)


class SecretsOut(logging.Filter):
    """Keeps secrets of addresses out of the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], redact(record.args[2]), *record.args[3:])
        return True


def access_log_config() -> dict[str, Any]:
    """uvicorn's logging, with the access log's addresses redacted."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["secrets_out"] = {"()": SecretsOut}
    config["handlers"]["access"]["filters"] = ["secrets_out"]
    return config
