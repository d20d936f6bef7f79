"""A crawler that walks the portal as one person would: it follows every link on the portal's own pages and submits
every form it meets, once with plausible values and once empty, and records every answer of 500 or more."""

from __future__ import annotations

import re
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from tests.factories import make_user, state

HOST = "testserver"
# The people who walk the portal, in the order they walk it (what the first ones create, the later ones find).
ROLES = ("admin", "coordinator", "focal_point", "observer", "anonymous")
# Visiting two pages of one shape (/meetings/12 and /meetings/15) tells as much as visiting all of them.
PAGES_PER_SHAPE = 2
NOT_TO_FOLLOW = ("/static/", "/auth/sign-out")


@dataclass
class Failure:
    method: str
    url: str
    status: int
    found_on: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.method} {self.url} → {self.status} (from {self.found_on}): {self.excerpt}"


@dataclass
class Crawl:
    """What one walk did: requests made, forms sent and the failures."""

    requests: int = 0
    forms: int = 0
    failures: list[Failure] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def shape(url: str) -> str:
    """A page's shape: numbers, tokens and state codes in the path replaced, the query's names kept."""
    parts = urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        if re.fullmatch(r"\d+|[A-Z]{2}|[A-Za-z0-9_-]{20,}", segment):
            segment = "{}"
        segments.append(segment)
    names = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return "/".join(segments) + ("?" + "&".join(names) if names else "")


def _local(url: str, base: str) -> str | None:
    """The path and query of a link on this portal, or None for another site, an anchor or a static file."""
    if url.startswith("#"):
        return None
    target = urljoin(base, url)
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or parts.hostname != HOST:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith(NOT_TO_FOLLOW):
        return None
    return path


class FormFiller:
    """Plausible values for a form's fields, chosen from each field's type, name and limits."""

    def __init__(self) -> None:
        self.today = date.today()

    def value(self, control: Tag) -> str | None:
        kind = str(control.get("type", "text")).lower()
        name = str(control.get("name", "")).lower()
        if control.name == "textarea":
            return self._limited(control, "Text written by the crawler.")
        if kind in ("hidden", "submit", "button", "image", "reset"):
            return str(control.get("value", ""))
        if kind == "date":
            return self._day(name).isoformat()
        if kind == "time":
            return "10:00"
        if kind == "datetime-local":
            return f"{self._day(name).isoformat()}T10:00"
        if kind == "number":
            low = control.get("min")
            return str(low) if low not in (None, "") else "1"
        if kind == "email":
            return f"crawl-{uuid.uuid4().hex[:8]}@example.org"
        if kind == "url":
            return "https://meet.example.org/crawl"
        if kind == "password":
            return "crawler pass phrase of some length"
        if kind == "search":
            return "peacekeeping"
        current = str(control.get("value", ""))
        if current:
            return current
        return self._limited(control, self._text(name))

    def _day(self, name: str) -> date:
        if any(word in name for word in ("deadline", "due")):
            return self.today + timedelta(days=20)
        if any(word in name for word in ("end", "last", "until", "before", "to")):
            return self.today + timedelta(days=44)
        return self.today + timedelta(days=40)

    @staticmethod
    def _text(name: str) -> str:
        words = {
            "currency": "FJD",
            "amount": "1000",
            "zone": "Pacific/Fiji",
            "code": "FJ",
            "organisation": "Crawler Organisation",
            "phone": "+679 330 0000",
            "city": "Suva",
            "tag": "training",
        }
        for key, text in words.items():
            if key in name:
                return text
        return "Crawler words"

    @staticmethod
    def _limited(control: Tag, text: str) -> str:
        limit = control.get("maxlength")
        return text[: int(str(limit))] if limit and str(limit).isdigit() else text


@dataclass
class Submission:
    """One request: a link followed (GET, no fields) or a form sent."""

    method: str
    url: str
    fields: list[tuple[str, str]]
    files: dict[str, tuple[str, bytes, str]]


@dataclass
class Way:
    """One way of sending a form (one submit button): its key, method, address and the button's own field."""

    key: str
    method: str
    url: str
    pressed: list[tuple[str, str]]


def ways(form: Tag, page_url: str) -> list[Way]:
    """Each way of sending the form, read from its buttons (the form's own action and method without one)."""
    buttons = [
        b
        for b in form.find_all(["button", "input"])
        if (b.name == "button" and str(b.get("type", "submit")) == "submit")
        or (b.name == "input" and str(b.get("type", "")) in ("submit", "image"))
    ] or [None]
    found = []
    for button in buttons:
        action = str((button.get("formaction") if button else None) or form.get("action") or page_url)
        method = str((button.get("formmethod") if button else None) or form.get("method") or "get").upper()
        url = _local(action, "http://" + HOST + page_url)
        if url is None:
            continue
        pressed = [(str(button["name"]), str(button.get("value", "")))] if button and button.get("name") else []
        found.append(Way(f"{method} {shape(url)} {pressed}", method, url, pressed))
    return found


def submissions(form: Tag, filler: FormFiller, chosen: list[Way]) -> list[tuple[str, list[Submission]]]:
    """For each `chosen` way of sending the form, its key and its submissions: empty first, then filled with each
    select's first, last and middle choice (a form often fails only for one of its choices)."""
    variants = [_fields(form, filler, pick) for pick in CHOICES]
    empty = _hidden(form)
    files = {
        str(c["name"]): ("crawl-notes.txt", b"Notes written by the crawler.\n", "text/plain")
        for c in form.find_all("input", attrs={"type": "file"})
        if c.get("name") and not c.has_attr("disabled")
    }
    found = []
    for way in chosen:
        sends = [Submission(way.method, way.url, empty + way.pressed, {})]
        for fields in variants:
            if all(fields + way.pressed != sent.fields for sent in sends):
                sends.append(Submission(way.method, way.url, fields + way.pressed, files))
        found.append((way.key, sends))
    return found


def _hidden(form: Tag) -> list[tuple[str, str]]:
    """What an empty submission still carries: the hidden fields (the CSRF token, ids)."""
    return [
        (str(c["name"]), str(c.get("value", "")))
        for c in form.find_all("input", attrs={"type": "hidden"})
        if c.get("name") and not c.has_attr("disabled")
    ]


# Which of a list's choices a filled submission takes: the first, the last, the middle one.
CHOICES = (lambda n: 0, lambda n: n - 1, lambda n: n // 2)


def _fields(form: Tag, filler: FormFiller, pick: Any) -> list[tuple[str, str]]:
    """The form filled: each field's plausible value, and the `pick`ed choice of each list and group."""
    filled: list[tuple[str, str]] = []
    groups: set[str] = set()
    for control in form.find_all(["input", "select", "textarea"]):
        name = str(control.get("name") or "")
        if not name or control.has_attr("disabled"):
            continue
        kind = str(control.get("type", "text")).lower()
        if control.name == "input" and kind in ("submit", "button", "image", "reset", "file"):
            continue
        if kind in ("checkbox", "radio"):
            if name not in groups:
                groups.add(name)
                group = form.find_all("input", attrs={"name": name})
                filled.append((name, str(group[pick(len(group))].get("value", "on"))))
            continue
        if control.name == "select":
            values = [str(o.get("value", o.get_text())) for o in control.find_all("option")]
            usable = [value for value in values if value] or values
            if usable:
                filled.append((name, usable[pick(len(usable))]))
            continue
        value = filler.value(control)
        if value is not None:
            filled.append((name, value))
    return filled


class Crawler:
    """Walks the portal from its start pages with one client, within `budget` requests: each page's links first,
    its forms after them (a form may withdraw what a link leads to). `read`, when given, sees each page it reads
    (its address and HTML)."""

    def __init__(
        self,
        client: TestClient,
        *,
        skip: tuple[str, ...] = (),
        budget: int = 2000,
        send_forms: bool = True,
        read: Callable[[str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.read = read
        self.skip = skip
        self.budget = budget
        self.send_forms = send_forms
        # Each kind of form met (by its key), with the page it was on: what a walk that sends none collects.
        self.forms: dict[str, tuple[str, Tag]] = {}
        self.filler = FormFiller()
        self.crawl = Crawl()
        self.shapes: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.sent: set[str] = set()
        self.queue: deque[tuple[Submission, str]] = deque()

    def walk(self, *start: str) -> Crawl:
        for url in start:
            self._follow(url, "(start)")
        while self.queue and self.crawl.requests < self.budget:
            submission, found_on = self.queue.popleft()
            self._visit(submission, found_on)
        return self.crawl

    def _follow(self, url: str, found_on: str) -> None:
        if url in self.seen or self._skipped(url):
            return
        if self.shapes[shape(url)] >= PAGES_PER_SHAPE:
            return
        self.seen.add(url)
        self.shapes[shape(url)] += 1
        self.queue.append((Submission("GET", url, [], {}), found_on))

    def _skipped(self, url: str) -> bool:
        return any(part in url for part in self.skip)

    def _visit(self, submission: Submission, found_on: str) -> None:
        method, url = submission.method, submission.url
        response = self._request(submission)
        self._check(method, url, found_on, response)
        for _ in range(5):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            target = _local(response.headers.get("location", ""), "http://" + HOST + url)
            if target is None:
                return
            self.seen.add(target)
            found_on, url, method = url, target, "GET"
            response = self._request(Submission("GET", target, [], {}))
            self._check("GET", target, found_on, response)
        if "text/html" in response.headers.get("content-type", ""):
            self._read(url, response.text)

    def _request(self, submission: Submission) -> Any:
        self.crawl.requests += 1
        if submission.method == "GET":
            query = urlencode(submission.fields)
            url = submission.url.split("?")[0] + "?" + query if query else submission.url
            return self.client.get(url)
        if submission.files:
            return self.client.post(submission.url, data=_as_dict(submission.fields), files=submission.files)
        return self.client.post(
            submission.url,
            content=urlencode(submission.fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def _check(self, method: str, url: str, found_on: str, response: Any) -> None:
        """Fails a server error, and a page address that answers only another method (a broken link)."""
        self.crawl.statuses[response.status_code] += 1
        if response.status_code >= 500 or (method == "GET" and response.status_code == 405):
            text = BeautifulSoup(response.text, "lxml").get_text(" ", strip=True)
            self.crawl.failures.append(Failure(method, url, response.status_code, found_on, text[-300:]))

    def _read(self, url: str, html: str) -> None:
        if self.read is not None:
            self.read(url, html)
        page = BeautifulSoup(html, "lxml")
        for anchor in page.find_all("a", href=True):
            target = _local(str(anchor["href"]), "http://" + HOST + url)
            if target is not None:
                self._follow(target, url)
        for form in page.find_all("form"):
            # A form met before (the language switch on every page, say) is left before its fields are filled.
            new = [way for way in ways(form, url) if way.key not in self.sent and not self._skipped(way.url)]
            if not new:
                continue
            for key, sends in submissions(form, self.filler, new):
                if key in self.sent:  # two buttons of one form that send the same way
                    continue
                self.sent.add(key)
                self.crawl.forms += 1
                self.forms[key] = (url, form)
                if self.send_forms:
                    self.queue.extend((submission, url) for submission in sends)


def _as_dict(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for name, value in fields:
        merged.setdefault(name, []).append(value)
    return merged


def walker(session: Session, role: str) -> User | None:
    """Someone of `role` to walk the portal (None for an anonymous visitor); the focal point acts for Fiji."""
    if role == "anonymous":
        return None
    extra: dict[str, Any] = {"organisation": "Pacific Partners"} if role == "observer" else {}
    if role == "focal_point":
        extra = {"member_state_id": state(session, "FJ").id}
    return make_user(session, role=role, password=None, display_name=f"Crawling {role}", **extra)
