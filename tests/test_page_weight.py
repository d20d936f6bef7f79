"""What a page makes a slow link carry: htmx (13 KB compressed) only on the pages that update in place, and a
description on the public page for those who find it from a search engine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from sqlmodel import Session

from tests.factories import make_user, state
from tests.support.crawl import Crawler
from tests.support.portal import Portal

HTMX_ATTRIBUTE = re.compile(r"^(?:data-)?hx-[a-z]")


@dataclass
class ScriptReader:
    """Notes each page that loads htmx without using it, or uses it without loading it."""

    wrong: list[str] = field(default_factory=list)
    with_htmx: int = 0
    pages: int = 0

    def __call__(self, url: str, html: str) -> None:
        page = BeautifulSoup(html, "lxml")
        if page.body is None:
            return
        self.pages += 1
        loads = any("/htmx-" in str(script.get("src", "")) for script in page.find_all("script"))
        # The body's CSRF header for htmx requests is inert where htmx is not loaded.
        uses = any(HTMX_ATTRIBUTE.match(name) for element in page.body.find_all(True) for name in element.attrs)
        self.with_htmx += loads
        if loads != uses:
            self.wrong.append(f"{url}: {'loads htmx but uses none' if loads else 'uses htmx but does not load it'}")


def test_htmx_is_loaded_only_where_a_page_updates_in_place(portal: Portal, session: Session) -> None:
    portal.run("operational")
    for role in ("admin", "focal_point"):
        extra = {"member_state_id": state(session, "FJ").id} if role == "focal_point" else {}
        user = make_user(session, role=role, password=None, **extra)
        reader = ScriptReader()
        Crawler(portal.client(user), skip=(f"/admin/users/{user.id}",), send_forms=False, read=reader).walk(
            "/dashboard", "/"
        )
        assert reader.pages > 30, f"{role} read almost nothing"
        assert 0 < reader.with_htmx < reader.pages, f"{role}: htmx on {reader.with_htmx} of {reader.pages} pages"
        assert not reader.wrong, "\n".join(reader.wrong)


def test_pages_describe_the_network_for_search_engines(client) -> None:
    page = BeautifulSoup(client.get("/").text, "lxml")
    description = page.find("meta", attrs={"name": "description"})
    assert description is not None and "Pacific" in description["content"]
    french = BeautifulSoup(client.get("/", headers={"Accept-Language": "fr"}).text, "lxml")
    assert "pacifique" in french.find("meta", attrs={"name": "description"})["content"].lower()
