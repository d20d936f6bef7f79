"""Every page each role reaches, on a phone 375 px wide: nothing wider than the screen, no heading said twice; and the
main menu, folded into one line on a phone, opened with the keyboard and always shown on a wide screen."""

from __future__ import annotations

import uuid
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.meetings.models import Meeting, MeetingInvitee
from app.members.models import MemberState
from app.training.models import CourseType, TrainingOffer
from tests.browser.test_pages import LINKS, Route, get_routes, open_page, route_of, same_site_links  # noqa: F401
from tests.support.browser import Account, Watch, assert_accessible, sign_in
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
PHONE = {"width": 375, "height": 740}
ROLES = ("anonymous", "admin", "coordinator", "focal_point", "observer")
SAMPLES_PER_ROUTE = 2

# The widest elements of a page that sticks out: elements reaching past the right edge that no scrolling box of
# their own (a table that scrolls sideways) holds in, widest first, named by tag, id, class and their first words.
WIDEST = """() => {
  const edge = document.documentElement.clientWidth;
  const held = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = (element) => {
    let text = element.tagName.toLowerCase();
    if (element.id) text += '#' + element.id;
    if (element.classList.length) text += '.' + [...element.classList].join('.');
    const words = (element.innerText || element.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    return words ? `${text} "${words}"` : text;
  };
  const depth = (element) => { let n = 0; for (let up = element; up; up = up.parentElement) n += 1; return n; };
  const out = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    // An element's reach includes what overflows it (a word too long for its box spills out of it).
    const spills = getComputedStyle(element).overflowX === 'visible';
    const reach = box.left + (spills ? Math.max(box.width, element.scrollWidth) : box.width);
    if (reach > edge + 1 && box.width > 0 && !held(element)) out.push([reach, depth(element), name(element)]);
  }
  out.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  return {scroll: document.documentElement.scrollWidth, edge, widest: out.slice(0, 3)};
}"""

# Headings and table captions in reading order (hidden ones too: a screen reader reads a visually hidden caption),
# and each definition term with the start of its description.
SAID = """() => {
  const clean = (text) => (text || '').trim().replace(/\\s+/g, ' ').toLowerCase();
  const titles = [...document.querySelectorAll('main h1, main h2, main h3, main h4, main caption')]
    .map((element) => [element.tagName.toLowerCase(), clean(element.textContent)]);
  const terms = [...document.querySelectorAll('main dt')]
    .filter((term) => term.nextElementSibling && term.nextElementSibling.tagName === 'DD')
    .map((term) => [clean(term.textContent), clean(term.nextElementSibling.textContent)]);
  return {titles, terms};
}"""

LONG_TITLE = "Coordination" + "".join(f"Peacekeeping{n}" for n in range(14)) + " of the network"
LONG_EMAIL = "training.coordination.and.nominations.desk@regional-peacekeeping-training-centre.example.org"
LONG_LINK = "https://meet.example.org/j/" + "a1b2c3d4e5" * 18 + "?pwd=" + "Z" * 60


@pytest.fixture(scope="module")
def long_content(live_engine: Engine) -> dict[str, int]:
    """A meeting with the longest title the portal keeps, unbroken, and a long link, to which Fiji is invited; a
    published course whose contact is a long email address."""
    with Session(live_engine, expire_on_commit=False) as db:
        fiji_state = db.exec(select(MemberState).where(MemberState.code == "FJ")).one()
        now = datetime.now(UTC).replace(microsecond=0)
        meeting = Meeting(
            title_en=LONG_TITLE[:200],
            title_fr=LONG_TITLE[:200],
            starts_at=now + timedelta(days=9),
            ends_at=now + timedelta(days=9, hours=2),
            host_zone="Pacific/Fiji",
            format="virtual",
            link=LONG_LINK,
            uid=f"phones-{uuid.uuid4().hex}@test",
            created_at=now,
        )
        db.add(meeting)
        db.flush()
        db.add(MeetingInvitee(meeting_id=meeting.id, state_id=fiji_state.id))
        course = db.exec(select(CourseType)).first()
        assert course is not None and course.id is not None, "no seeded course type in the live database"
        offer = TrainingOffer(
            title="Protection of civilians course for the network's " + "Peacekeeping" * 8,
            course_type_id=course.id,
            track="any",
            provider_state_id=fiji_state.id,
            starts_on=date.today() + timedelta(days=60),
            ends_on=date.today() + timedelta(days=70),
            city="Suva",
            venue_state_id=fiji_state.id,
            languages="en fr",
            seats=20,
            seats_per_state=2,
            deadline_on=date.today() + timedelta(days=30),
            zone="Pacific/Fiji",
            contact=LONG_EMAIL,
            status="published",
            created_at=now,
        )
        db.add(offer)
        db.commit()
        assert meeting.id is not None and offer.id is not None
        return {"meeting": meeting.id, "offer": offer.id, "fiji": fiji_state.id}


# The three in one round trip, with the page's links.
READ = f"""() => ({{
  width: ({WIDEST})(),
  said: ({SAID})(),
  links: {LINKS},
}})"""


def repeats(said: dict[str, Any]) -> list[str]:
    """Two headings or captions in a row that say the same, and a term whose description starts by repeating it."""
    found = []
    titles = said["titles"]
    for (tag, text), (next_tag, next_text) in zip(titles, titles[1:], strict=False):
        if text and text == next_text:
            found.append(f"<{tag}> and <{next_tag}> both say {text!r}")
    for term, description in said["terms"]:
        if len(term) > 2 and description.startswith(term):
            found.append(f"the term {term!r} is repeated by its description {description[:80]!r}")
    return found


def walk(page: Page, start: list[str], routes: list[Route], base_url: str) -> tuple[list[str], dict[str, list[str]]]:
    """Opens the start pages and every page their links lead to (a few of each route) in one tab."""
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
        label = f"{address} (shown: {page.url.removeprefix(base_url)})"
        seen.append(label)
        found = []
        read = page.evaluate(READ)
        width = read["width"]
        if width["scroll"] > width["edge"]:
            widest = "; ".join(f"{name} reaching {right:.0f} px" for right, _, name in width["widest"])
            found.append(f"{width['scroll']} px wide on a {width['edge']} px screen; widest: {widest}")
        found += repeats(read["said"])
        if found:
            problems[label] = found
        queue.extend(same_site_links(read["links"], base_url))
    return seen, problems


def phone(new_context: NewContext, make_account: Callable[..., Account], role: str, fiji_id: int) -> Page:
    context, _ = new_context(viewport=PHONE)
    page = context.new_page()
    if role != "anonymous":
        extra = {"member_state_id": fiji_id} if role == "focal_point" else {}
        account = make_account(role, **extra)
        sign_in(page, account.email, account.password)
    return page


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_fits_a_phone_and_says_each_heading_once(
    role: str,
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    get_routes: list[Route],  # noqa: F811
    long_content: dict[str, int],
) -> None:
    page = phone(new_context, make_account, role, long_content["fiji"])
    start = [route.path for route in get_routes if "{" not in route.path] + ["/members/FJ"]
    if role != "anonymous":
        start += [f"/meetings/{long_content['meeting']}", f"/training/{long_content['offer']}"]

    seen, problems = walk(page, start, get_routes, server.url)

    report = "\n".join(f"[{role}] {label}:\n  " + "\n  ".join(found) for label, found in problems.items())
    assert not problems, f"pages that do not fit a phone or repeat themselves, for {role}:\n{report}"
    assert len(seen) >= 4, f"too few pages reached for {role}: {seen}"
    if role in ("coordinator", "focal_point"):
        assert any(label.startswith(f"/meetings/{long_content['meeting']} ") for label in seen), seen
        assert any(label.startswith(f"/training/{long_content['offer']} ") for label in seen), seen


def test_the_menu_is_one_line_on_a_phone_opens_with_the_keyboard_and_is_always_shown_on_a_wide_screen(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, axe_source: str
) -> None:
    account = make_account("admin")
    context, _ = new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    page.goto("/meetings")
    header = page.locator("header.site")
    summary = header.locator("details.menu > summary")

    expect(summary).to_be_visible()
    expect(summary).to_have_text("Menu: Meetings")
    expect(header.get_by_role("link", name="Library", exact=True)).to_be_hidden()
    height = header.bounding_box()
    assert height is not None and height["height"] < 110, f"the folded header is {height['height']:.0f} px high"
    assert_accessible(page, axe_source)

    summary.focus()
    page.keyboard.press("Enter")
    expect(header.get_by_role("link", name="Library", exact=True)).to_be_visible()
    expect(header.get_by_role("link", name="Meetings", exact=True)).to_have_attribute("aria-current", "page")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_accessible(page, axe_source)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Home"
    with page.expect_navigation():
        header.get_by_role("link", name="Library", exact=True).click()
    expect(summary).to_have_text("Menu: Library")
    expect(header.get_by_role("link", name="Library", exact=True)).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(summary).to_be_hidden()
    for name in ("Home", "Meetings", "Library", "Administration"):
        expect(header.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert_accessible(page, axe_source)
