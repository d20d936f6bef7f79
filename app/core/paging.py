"""Lists that show one page at a time, so a page's cost does not grow with the network's history.

A list reads one row more than a page holds, to know whether an older page exists, and no count. The links to the
newer and older pages are plain addresses that keep every other parameter of the request (its filters), so they
work without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request

PAGE_SIZE = 50
LAST_PAGE = 100_000  # beyond any real history; a larger number in an address is read as this one

Row = TypeVar("Row")


def page_number(value: str | int | None) -> int:
    """The page an address asks for: 1 when absent, not a number, or out of range."""
    try:
        number = int(str(value or "1").strip())
    except ValueError:
        return 1
    return min(max(number, 1), LAST_PAGE)


def offset(number: int, size: int = PAGE_SIZE) -> int:
    """Rows before the page `number` of pages of `size` rows."""
    return (number - 1) * size


@dataclass(frozen=True)
class Page:
    """Where a list stands: its page number, whether an older page follows, and the addresses of its neighbours."""

    number: int
    has_older: bool
    newer_url: str = ""
    older_url: str = ""


def _address(request: Request, number: int, name: str, anchor: str) -> str:
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != name]
    if number > 1:
        kept.append((name, str(number)))
    path = f"{request.url.path}?{urlencode(kept)}" if kept else request.url.path
    return f"{path}#{anchor}" if anchor else path


def cut(
    request: Request,
    rows: Sequence[Row],
    number: int,
    *,
    name: str = "page",
    anchor: str = "",
    size: int = PAGE_SIZE,
) -> tuple[list[Row], Page]:
    """The page's rows out of up to `size` + 1 read, and the page with its links. `name` is the parameter
    that carries the page number (a page with two paged lists gives each its own), `anchor` where the links land."""
    has_older = len(rows) > size
    return list(rows[:size]), Page(
        number=number,
        has_older=has_older,
        newer_url=_address(request, number - 1, name, anchor) if number > 1 else "",
        older_url=_address(request, number + 1, name, anchor) if has_older else "",
    )


def window(
    request: Request, rows: Sequence[Row], number: int, *, name: str = "page", anchor: str = ""
) -> tuple[list[Row], Page]:
    """The page `number` of a list already in memory, and the page with its links."""
    start = offset(number)
    return cut(request, rows[start : start + PAGE_SIZE + 1], number, name=name, anchor=anchor)


@dataclass(frozen=True)
class Head(Generic[Row]):
    """The first rows of a list and how many the list holds: what a one-page summary shows, and how many more there
    are. Its query reads the total with `count() over ()` beside the rows it limits, so it costs no query of its
    own."""

    rows: list[Row]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)
