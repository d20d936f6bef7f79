"""Every page each role can reach, in English and in French: structure and axe-core; keyboard use; the htmx filter."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.main import api_routes, create_app
from app.members.models import MemberState
from app.outbox import service as outbox
from tests.support.browser import (
    BLOCKING_IMPACTS,
    Account,
    Watch,
    assert_accessible,
    axe_violations,
    describe,
    sign_in,
)
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
ROLES = ("anonymous", "admin", "coordinator", "focal_point", "observer")
LANGUAGES = ("en", "fr")
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
# Pages with an id in their address (a state, a body, an email): this many of each are checked per role.
SAMPLES_PER_ROUTE = 2


@dataclass(frozen=True)
class Route:
    """A GET route of the app and a pattern matching the addresses it answers."""

    path: str
    pattern: re.Pattern[str]


@pytest.fixture(scope="module")
def get_routes() -> list[Route]:
    """The app's GET routes, read from the app itself so that a new page is checked without editing this file."""
    routes = []
    for path, route in api_routes(create_app().routes):
        if "GET" in (route.methods or set()):
            routes.append(Route(path, re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$")))
    return routes


@pytest.fixture(scope="module")
def fiji_id(live_engine: Engine) -> int:
    with Session(live_engine) as db:
        fiji = db.exec(select(MemberState).where(MemberState.code == "FJ")).first()
        assert fiji is not None and fiji.id is not None, "seeded state FJ missing from the live database"
        return fiji.id


@pytest.fixture(scope="module")
def queued_email(live_engine: Engine) -> int:
    """One message in the outbox, so that the outbox's message page is reachable from its list."""
    with Session(live_engine, expire_on_commit=False) as db:
        message = outbox.queue(
            db,
            recipient="pages@example.org",
            subject="Agenda of the quarterly SME meeting",
            body="The agenda is attached.",
        )
        db.commit()
        assert message.id is not None
        return message.id


def open_as(
    role: str, language: str, new_context: NewContext, make_account: Callable[..., Account], fiji_id: int
) -> Page:
    """A page in a fresh context, signed in with a new account of `role` (or anonymous) speaking `language`."""
    context, _ = new_context(locale=LOCALES[language])
    page = context.new_page()
    if role != "anonymous":
        extra = {"member_state_id": fiji_id} if role == "focal_point" else {}
        account = make_account(role, language=language, **extra)
        sign_in(page, account.email, account.password, language=language)
        expect(page.locator("header.site form[action='/auth/sign-out']")).to_have_count(1)
    return page


def route_of(path: str, routes: list[Route]) -> Route | None:
    return next((route for route in routes if route.pattern.match(path)), None)


# The page's links as the browser resolves them (an expression, for the scripts that read a page in one round trip).
LINKS = "Array.from(document.querySelectorAll('a[href]'), link => link.href)"
# What the crawl reads of a page, in one round trip: its outline, language, title and links.
PAGE_SHAPE = f"""() => ({{
    headings: document.querySelectorAll('h1').length,
    mains: document.querySelectorAll('main').length,
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    links: {LINKS},
}})"""


def same_site_links(links: list[str], base_url: str) -> Iterator[str]:
    """The addresses (path and query) of the links that stay on the portal."""
    for href in links:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base_url or parts.path.startswith("/static/"):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def open_page(page: Page, address: str) -> Response | None:
    """Opens the address; None when it answers with a file to save (a calendar, a document), which the browser
    downloads instead of showing."""
    try:
        return page.goto(address)
    except PlaywrightError as error:
        if "Download is starting" in error.message:
            return None
        raise


def page_problems(page: Page, shape: dict[str, Any], language: str, axe_source: str) -> list[str]:
    """What is wrong with the page as shown (`shape` is what PAGE_SHAPE read of it): its outline, language and title,
    and axe-core's blocking findings."""
    problems = []
    if shape["headings"] != 1:
        problems.append(f"{shape['headings']} <h1> elements instead of one")
    if shape["mains"] != 1:
        problems.append(f"{shape['mains']} <main> elements instead of one")
    if shape["lang"] != language:
        problems.append(f"<html lang={shape['lang']!r}> on a page asked for in {language!r}")
    title = shape["title"].strip()
    if not title or title.startswith("·"):
        problems.append(f"no title of its own: {title!r}")
    blocking = [v for v in axe_violations(page, axe_source) if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        problems.append("accessibility violations:\n" + describe(blocking))
    return problems


def visit_every_page(
    page: Page, start: list[str], routes: list[Route], base_url: str, language: str, axe_source: str
) -> tuple[list[str], dict[str, list[str]]]:
    """Opens the start pages and every page their links lead to; returns the pages seen and each one's problems."""
    queue = deque(start)
    asked: set[str] = set()
    shown: set[str] = set()
    per_route: Counter[str] = Counter()
    seen: list[str] = []
    problems: dict[str, list[str]] = {}
    while queue:
        address = queue.popleft()
        route = route_of(address.split("?")[0], routes)
        if address in asked or route is None or per_route[route.path] >= SAMPLES_PER_ROUTE:
            continue
        asked.add(address)
        per_route[route.path] += 1
        response = open_page(page, address)
        if response is None:
            continue
        if not response.headers.get("content-type", "").startswith("text/html") or page.url in shown:
            continue
        shown.add(page.url)
        label = f"{address} (shown: {page.url.removeprefix(base_url)}, status {response.status})"
        seen.append(label)
        shape = page.evaluate(PAGE_SHAPE)
        found = page_problems(page, shape, language, axe_source)
        if found:
            problems[label] = found
        queue.extend(same_site_links(shape["links"], base_url))
    return seen, problems


@pytest.mark.usefixtures("queued_email")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_is_accessible_and_well_formed(
    role: str,
    language: str,
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    axe_source: str,
    get_routes: list[Route],
    fiji_id: int,
) -> None:
    """Each page a role reaches has one <h1>, a <main>, its language on <html>, a title and no serious axe finding."""
    page = open_as(role, language, new_context, make_account, fiji_id)
    # axe-core arrives with each page (the DevTools protocol's way, outside the page's CSP) rather than being sent
    # to it after it loads: about a seventh of the crawl's time.
    page.context.add_init_script(axe_source)
    start = [route.path for route in get_routes if "{" not in route.path] + ["/members/FJ"]

    seen, problems = visit_every_page(page, start, get_routes, server.url, language, axe_source)

    report = "\n".join(f"[{role}, {language}] {label}:\n  " + "\n  ".join(found) for label, found in problems.items())
    assert not problems, f"pages with problems for {role} in {language}:\n{report}"
    assert len(seen) >= 4, f"too few pages reached for {role}: {seen}"
    if role != "anonymous":
        assert any(label.startswith("/members/FJ ") and "status 200" in label for label in seen), seen
    if role == "admin":
        reached = " ".join(seen)
        for path in ("/admin/users", "/admin/outbox/", "/admin/audit", "/bodies/"):
            assert path in reached, f"the admin did not reach {path}: {seen}"


def focused(page: Page) -> str:
    """The focused element as tag:id (or its name, or its text)."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return `${e.tagName.toLowerCase()}:${e.id || e.getAttribute('name') || e.textContent.trim()}`; }"
        )
    )


def tab_until(page: Page, wanted: str, limit: int = 20) -> list[str]:
    """Presses Tab until `wanted` has the focus; returns every stop on the way."""
    stops: list[str] = []
    while wanted not in stops:
        assert len(stops) < limit, f"{wanted} never received the focus; stops: {stops}"
        page.keyboard.press("Tab")
        stops.append(focused(page))
    return stops


def test_sign_in_form_is_filled_and_sent_with_the_keyboard_only(
    page: Page, make_account: Callable[..., Account], server: LiveServer
) -> None:
    account = make_account()
    page.goto("/auth/sign-in")

    stops = tab_until(page, "input:f-email")
    page.keyboard.type(account.email)
    page.keyboard.press("Tab")
    assert focused(page) == "input:f-password"
    page.keyboard.type(account.password)
    page.keyboard.press("Tab")
    assert focused(page) == "button:Sign in"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert stops[0] == "a:Skip to content", stops
    assert "a:Sign in" in stops, f"the header's sign-in link comes before the form: {stops}"
    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()


@pytest.mark.parametrize(("language", "words"), [("en", "Skip to content"), ("fr", "Aller au contenu")])
def test_skip_link_is_the_first_stop_and_moves_the_keyboard_into_the_content(
    new_context: NewContext, server: LiveServer, language: str, words: str
) -> None:
    context, _ = new_context(locale=LOCALES[language])
    page = context.new_page()
    page.goto("/auth/sign-in")
    skip = page.get_by_role("link", name=words, exact=True)
    expect(skip).not_to_be_in_viewport()

    page.keyboard.press("Tab")

    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/auth/sign-in#main")
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    assert focused_in_main, "after the skip link, Tab did not land inside <main>"
    expect(page.locator("main input[name='email']")).to_be_focused()


def directory_names(page: Page) -> list[str]:
    return page.locator("#directory tbody th").all_inner_texts()


def test_member_filter_updates_the_table_in_place_and_keeps_the_address(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, axe_source: str
) -> None:
    """htmx swaps only the directory when a filter changes; the address follows, and Back shows the full page."""
    context, _ = new_context()
    page = context.new_page()
    account = make_account("observer")
    sign_in(page, account.email, account.password)
    page.goto("/members")
    everyone = directory_names(page)
    assert "Fiji" in everyone and "Samoa" in everyone
    page.evaluate("() => { window.stillTheSamePage = true; }")

    with page.expect_response(
        lambda r: urlsplit(r.url).path == "/members" and r.request.headers.get("hx-request") == "true"
    ) as answer:
        page.get_by_label("Subregion", exact=True).select_option("melanesia")
    assert answer.value.status == 200

    expect(page.locator("#directory tbody th").filter(has_text="Samoa")).to_have_count(0)
    expect(page.locator("#directory tbody th").filter(has_text="Fiji")).to_have_count(1)
    assert 0 < len(directory_names(page)) < len(everyone)
    assert page.evaluate("() => window.stillTheSamePage === true"), "the filter reloaded the whole page"
    expect(page).to_have_url(f"{server.url}/members?subregion=melanesia&body=&track=")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main form.filters")).to_have_count(1)
    assert_accessible(page, axe_source)

    page.go_back()
    expect(page).to_have_url(f"{server.url}/members")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main form.filters")).to_have_count(1)
    expect(page.locator("#directory tbody th").filter(has_text="Samoa")).to_have_count(1)

    page.go_forward()
    expect(page.locator("#directory tbody th").filter(has_text="Samoa")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Subregion", exact=True)).to_have_value("melanesia")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("#directory tbody th").filter(has_text="Fiji")).to_have_count(1)
    expect(page.locator("#directory tbody th").filter(has_text="Samoa")).to_have_count(0)
