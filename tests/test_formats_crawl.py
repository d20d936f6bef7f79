"""Dates and numbers as people read them, on every signed-in page, in English and in French: no ISO date
(2026-12-05) and no bare offset beside a time ("14:00 +12") in the visible text, and French numbers and
percentages with their non-breaking space ("15,0 %", "1 837"), never an English "15.0%" or "1,837", and French
colons and semicolons after a non-breaking space.

An admin first walks the portal sending its forms in English, so there are meetings, courses, nominations,
documents and funding to show; then an admin reading French and a focal point reading English walk it again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from sqlmodel import Session

from app.auth.models import User
from tests.factories import make_user, state
from tests.support.crawl import Crawler
from tests.support.portal import Portal

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?!\d)")  # alone or starting a datetime (2026-12-05T02:00)
# A wall-clock time followed by a bare offset: "14:00 +12", "09:30 -10" (written "UTC+12" it is fine).
BARE_OFFSET = re.compile(r"\b\d{1,2}:\d{2}\s*[+\-−]\d{1,2}(?![:\d])")
# In French: a percent sign glued to its number or after an ordinary space, English grouping or decimals.
FRENCH_WRONG = (
    re.compile(r"\d ?%"),
    re.compile(r"\b\d{1,3}(?:,\d{3})+(?!\d)"),
    re.compile(r"(?<!\+)\b\d{1,3}(?: \d{3})+(?!\d)"),
    re.compile(r"\d\.\d+\s?(?:%|ko|Mo|Go|kB|MB)"),
    # A colon or semicolon of French text glued to its word or after an ordinary space ("Statut: ", "brut ; ").
    re.compile(r"(?:[^\s\d]|(?<=\S) )[:;](?=\s|$)"),
)


def visible_text(html: str) -> str:
    """What a reader sees, less what is shown verbatim as data (the audit log's before/after JSON in <code>) and
    what only a screen reader reads (.visually-hidden: never laid out, so never broken before its colon)."""
    page = BeautifulSoup(html, "lxml")
    for hidden in page(["script", "style", "template", "textarea", "code"]):
        hidden.decompose()
    for hidden in page.select(".visually-hidden"):
        hidden.decompose()
    return page.get_text(" ", strip=True)


@dataclass
class Reader:
    """Reads each page of a walk for what it writes wrongly, and remembers the first few."""

    language: str
    problems: list[str] = field(default_factory=list)
    pages: int = 0

    def __call__(self, url: str, html: str) -> None:
        self.pages += 1
        text = visible_text(html)
        patterns = [ISO_DATE, BARE_OFFSET] + (list(FRENCH_WRONG) if self.language == "fr" else [])
        for pattern in patterns:
            for found in pattern.finditer(text):
                around = text[max(found.start() - 40, 0) : found.end() + 40]
                self.problems.append(f"{url}: {found.group()!r} in …{around}…")


def reader_of(session: Session, role: str, language: str, zone: str) -> User:
    extra = {"member_state_id": state(session).id} if role == "focal_point" else {}
    user = make_user(session, role=role, password=None, language=language, **extra)
    user.time_zone = zone
    session.add(user)
    session.commit()
    return user


def test_pages_write_dates_and_numbers_for_people_in_both_languages(portal: Portal, session: Session) -> None:
    portal.run("operational")
    walks = [
        ("en", reader_of(session, "admin", "en", "Pacific/Fiji"), True),
        ("fr", reader_of(session, "admin", "fr", "Pacific/Noumea"), False),
        ("en", reader_of(session, "focal_point", "en", "Pacific/Fiji"), False),
        ("fr", reader_of(session, "coordinator", "fr", "Pacific/Tahiti"), False),
    ]
    problems = []
    for language, user, send_forms in walks:
        reader = Reader(language)
        crawl = Crawler(
            portal.client(user), skip=(f"/admin/users/{user.id}",), send_forms=send_forms, read=reader
        ).walk("/dashboard", "/")
        assert reader.pages > 30, f"{user.role} ({language}) read almost nothing: {crawl.statuses}"
        problems += [f"{user.role} reading {language}: {problem}" for problem in sorted(set(reader.problems))]
    assert not problems, "\n".join(problems[:60])
