"""Scheduling journeys end to end, under each governance option where they apply, with and without JavaScript:
a coordinator schedules a working-group meeting and the next four meetings of the seeded quarterly SME series,
and finds a time for seven states and schedules the slot chosen in one more step."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth import service as accounts
from app.auth.models import User
from app.core.config import get_settings
from app.governance import service as governance
from app.meetings.models import Meeting, MeetingInvitee, MeetingSeries
from app.members.models import MemberState
from tests.support.browser import Account, HeldAnswers, Watch, assert_accessible, sign_in, submit
from tests.support.clock import earliest_slot_for_everyone, long_time, short_time
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

MakeAccount = Callable[..., Account]
OpenContext = Callable[[LiveServer, bool], BrowserContext]

SUVA = "Pacific/Fiji"
SME_BODY = "Quarterly subject-matter-expert meeting"
SME_SERIES = "Quarterly SME meeting"
LINK = "https://meet.example.org/journeys"
# Where each option lets working groups be created, and a track it allows there.
WORKING_GROUPS = {
    "diplomatic": ("pif-subcommittee", "joint"),
    "operational": ("picp-group", "police"),
    "adhoc": ("adhoc-network", "joint"),
}
OPTIONS = ("informal", "diplomatic", "operational", "adhoc")
# Seven states across the date line, with the zone of each capital as the seeds give it.
SEVEN = {
    "CK": ("Cook Islands", "Pacific/Rarotonga"),
    "FJ": ("Fiji", SUVA),
    "PW": ("Palau", "Pacific/Palau"),
    "PG": ("Papua New Guinea", "Pacific/Port_Moresby"),
    "WS": ("Samoa", "Pacific/Apia"),
    "TO": ("Tonga", "Pacific/Tongatapu"),
    "VU": ("Vanuatu", "Pacific/Efate"),
}
RUNS = [pytest.param(True, id="with-javascript"), pytest.param(False, id="without-javascript")]


# The portal under each option, and browsers on it


@pytest.fixture(scope="session")
def portal_under(live_env: dict[str, str], server: LiveServer) -> Iterator[Callable[[str], LiveServer]]:
    """The live portal run under a governance option, started the first time a test asks for that option; the
    browser suite's own server runs the default option, informal. All share the live database."""
    started = {"informal": server}

    def serve(option: str) -> LiveServer:
        if option not in started:
            started[option] = LiveServer({**live_env, "PRCN_GOVERNANCE_OPTION": option}).start()
        return started[option]

    yield serve
    for option, live in started.items():
        if option != "informal":
            live.stop()


@pytest.fixture
def open_context(browser: Browser) -> Iterator[OpenContext]:
    """Watched browser contexts on a given live server (as `new_context` opens them on the default one)."""
    opened: list[tuple[BrowserContext, Watch]] = []

    def open_on(live: LiveServer, javascript: bool) -> BrowserContext:
        context = browser.new_context(
            base_url=live.url,
            locale="en-GB",
            java_script_enabled=javascript,
            extra_http_headers={"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"},
        )
        context.set_default_timeout(10_000)
        watch = Watch(live.url)
        watch.attach(context)
        opened.append((context, watch))
        return context

    yield open_on
    for context, _ in opened:
        context.close()
    for _, watch in opened:
        watch.check()


def desk(open_context: OpenContext, live: LiveServer, account: Account, *, javascript: bool) -> Page:
    """The coordinator's page, signed in on `live`."""
    page = open_context(live, javascript).new_page()
    sign_in(page, account.email, account.password)
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
    if not javascript:
        assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    return page


def check(page: Page, axe_source: str, javascript: bool) -> None:
    """axe-core needs scripts: pages are checked in the run with JavaScript."""
    if javascript:
        assert_accessible(page, axe_source)


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def fact(page: Page, term: str) -> Locator:
    """The value beside a term of the meeting's facts list."""
    return page.locator(
        f"xpath=//dl[contains(@class, 'facts')]/dt[normalize-space()='{term}']/following-sibling::dd[1]"
    )


def invited_names(page: Page) -> Locator:
    return region(page, "Local time in each invited state").get_by_role("rowheader")


# Arranging and reading the live database


def coordinator_in(live_engine: Engine, make_account: MakeAccount, zone: str) -> Account:
    account = make_account("coordinator")
    with Session(live_engine) as db:
        user = db.get(User, account.id)
        assert user is not None
        accounts.update_preferences(db, user=user, language="en", time_zone=zone)
    return account


def state_ids(live_engine: Engine, codes: list[str]) -> dict[str, int]:
    with Session(live_engine) as db:
        rows = db.exec(select(MemberState).where(col(MemberState.code).in_(codes))).all()
        return {state.code: state.id for state in rows}  # type: ignore[misc]


def working_group(live_engine: Engine, coordinator: Account, option: str, members: list[str]) -> tuple[int, str]:
    """A working group where `option` allows one, led by the first of `members`; returns its id and name."""
    body_key, track = WORKING_GROUPS[option]
    ids = state_ids(live_engine, members)
    name = f"Pre-deployment training {uuid.uuid4().hex[:6]}"
    with Session(live_engine) as db:
        user = db.get(User, coordinator.id)
        assert user is not None
        group = governance.create_working_group(
            db,
            get_settings().model_copy(update={"governance_option": option}),
            user=user,
            body_key=body_key,
            name=name,
            track=track,
            lead_state_id=ids[members[0]],
            mandate="",
            member_state_ids=list(ids.values()),
        )
        assert group.id is not None
        return group.id, name


def meeting_from_url(live_engine: Engine, url: str) -> tuple[Meeting, set[int]]:
    """The meeting whose page `url` is, and the ids of the states invited to it."""
    meeting_id = int(urlsplit(url).path.rsplit("/", 1)[1])
    with Session(live_engine, expire_on_commit=False) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        invited = set(db.exec(select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == meeting_id)).all())
        return meeting, invited


def seeded_series_meetings(live_engine: Engine) -> list[Meeting]:
    with Session(live_engine, expire_on_commit=False) as db:
        series = db.exec(select(MeetingSeries).where(MeetingSeries.key == "sme-quarterly")).one()
        return list(
            db.exec(select(Meeting).where(Meeting.series_id == series.id).order_by(col(Meeting.starts_at))).all()
        )


# What the pages should propose, worked out here


def same_weekday_of_the_month(anchor: date, months: int) -> date:
    """The date `months` months after `anchor` on the same weekday of the same week of the month."""
    total = anchor.year * 12 + anchor.month - 1 + months
    first = date(total // 12, total % 12 + 1, 1)
    day = first + timedelta(days=(anchor.weekday() - first.weekday()) % 7 + 7 * ((anchor.day - 1) // 7))
    return day if day.month == first.month else day - timedelta(days=7)


def proposed_next_quarter(held: list[Meeting]) -> date:
    """The day the series proposes: a quarter after its latest meeting, in the rhythm of its first (every meeting of
    the seeded series here was scheduled on the day proposed); the second week of the next quarter in Suva when it
    has not met."""
    if held:
        anchor = held[0].starts_at.astimezone(ZoneInfo(SUVA)).date()
        return same_weekday_of_the_month(anchor, 3 * len(held))
    today = datetime.now(ZoneInfo(SUVA)).date()
    month = today.month + 3 - (today.month - 1) % 3
    day = date(today.year + (month > 12), (month - 1) % 12 + 1, 8)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# Journeys


def schedule_a_working_group_meeting(
    page: Page, live_engine: Engine, option: str, coordinator: Account, axe_source: str, javascript: bool
) -> None:
    members = ["FJ", "WS", "PG", "VU"]
    group_id, group = working_group(live_engine, coordinator, option, members)
    day = datetime.now(ZoneInfo(SUVA)).date() + timedelta(days=45)
    title = f"Working group meeting {uuid.uuid4().hex[:6]}"

    page.locator("header.site").get_by_role("link", name="Meetings", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="Schedule a meeting", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule a meeting")
    check(page, axe_source, javascript)
    form = region(page, "A single meeting")
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Body or working group", exact=True).select_option(label=f"Working group: {group}")
    form.get_by_label("Date at the host", exact=True).fill(day.isoformat())
    form.get_by_label("Start time at the host", exact=True).fill("10:00")
    form.get_by_label("Duration in minutes", exact=True).fill("90")
    form.get_by_label("Host's time zone", exact=True).select_option(SUVA)
    form.get_by_label("Format", exact=True).select_option(label="Hybrid")
    form.get_by_label("Link (virtual or hybrid)", exact=True).fill(LINK)
    form.get_by_label("Venue (in person or hybrid)", exact=True).fill("Grand Pacific Hotel")
    form.get_by_label("City", exact=True).fill("Suva")
    form.get_by_label("Host state", exact=True).select_option("FJ")
    response = submit(page, "Schedule the meeting")

    assert response is not None and response.status == 200
    expect(page.get_by_role("status")).to_have_text("The meeting has been scheduled.")
    meeting, invited = meeting_from_url(live_engine, page.url)
    starts = datetime.combine(day, time(10), ZoneInfo(SUVA))
    assert (meeting.working_group_id, meeting.body_id, meeting.format) == (group_id, None, "hybrid")
    assert meeting.starts_at == starts and meeting.ends_at == starts + timedelta(minutes=90)
    assert invited == set(state_ids(live_engine, members).values())
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(fact(page, "Meeting of")).to_have_text(group)
    expect(fact(page, "Format")).to_have_text("Hybrid")
    expect(fact(page, "Your time")).to_contain_text(long_time(starts, SUVA))
    expect(invited_names(page)).to_have_text(["Fiji", "Papua New Guinea", "Samoa", "Vanuatu"])
    check(page, axe_source, javascript)


def schedule_the_next_four_sme_meetings(page: Page, live_engine: Engine, axe_source: str, javascript: bool) -> None:
    held = seeded_series_meetings(live_engine)
    proposed = proposed_next_quarter(held)

    page.locator("header.site").get_by_role("link", name="Meetings", exact=True).click()
    row = (
        region(page, "Series").get_by_role("row").filter(has=page.get_by_role("rowheader", name=SME_SERIES, exact=True))
    )
    expect(row.get_by_role("cell").first).to_have_text("Quarterly")
    check(page, axe_source, javascript)
    row.get_by_role("link", name="Schedule the next four", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SME_SERIES)
    expect(page.get_by_label("Date of the first of them at the host", exact=True)).to_have_value(proposed.isoformat())
    expect(page.get_by_label("Format", exact=True)).to_have_value("virtual")
    check(page, axe_source, javascript)
    page.get_by_label("Link (virtual or hybrid)", exact=True).fill(LINK)
    response = submit(page, "Schedule the next four")

    assert response is not None and response.status == 200
    expect(page).to_have_url(re.compile(r"/meetings\?notice=generated$"))
    expect(page.get_by_role("status")).to_have_text("The series' next meetings have been scheduled.")
    check(page, axe_source, javascript)
    added = seeded_series_meetings(live_engine)[len(held) :]
    local = [meeting.starts_at.astimezone(ZoneInfo(SUVA)) for meeting in added]
    assert [moment.date() for moment in local] == [same_weekday_of_the_month(proposed, 3 * n) for n in range(4)]
    assert {moment.strftime("%H:%M") for moment in local} == {"10:00"}
    assert {(meeting.format, meeting.link) for meeting in added} == {("virtual", LINK)}

    page.goto(f"/meetings/{added[0].id}")
    expect(fact(page, "Meeting of")).to_have_text(SME_BODY)
    expect(fact(page, "Your time")).to_contain_text(long_time(added[0].starts_at, SUVA))


@pytest.mark.parametrize("javascript", RUNS)
@pytest.mark.parametrize("option", OPTIONS)
def test_coordinator_schedules_a_working_group_meeting_and_the_next_four_sme_meetings(
    option: str,
    javascript: bool,
    portal_under: Callable[[str], LiveServer],
    open_context: OpenContext,
    make_account: MakeAccount,
    live_engine: Engine,
    axe_source: str,
) -> None:
    live = portal_under(option)
    coordinator = coordinator_in(live_engine, make_account, SUVA)
    page = desk(open_context, live, coordinator, javascript=javascript)
    expect(page.locator("footer.site")).to_contain_text(
        {"informal": "Informal option", "diplomatic": "Diplomatic option", "operational": "Operational option"}.get(
            option, "Ad hoc voluntary network"
        )
    )

    if option in WORKING_GROUPS:
        schedule_a_working_group_meeting(page, live_engine, option, coordinator, axe_source, javascript)
    schedule_the_next_four_sme_meetings(page, live_engine, axe_source, javascript)


def ask_for_times(page: Page, codes: list[str], first: date, last: date) -> None:
    """Ticks the states, sets the window (Suva dates) and a two-hour meeting, and asks."""
    states = page.get_by_role("group", name="Invited states")
    for code in codes:
        states.get_by_label(SEVEN[code][0], exact=True).check()
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(last.isoformat())
    page.get_by_label("Dates are in this time zone", exact=True).select_option(SUVA)
    page.get_by_label("Duration in minutes", exact=True).fill("120")
    page.get_by_role("button", name="Find times", exact=True).click()


@pytest.mark.parametrize("javascript", RUNS)
@pytest.mark.parametrize("option", OPTIONS)
def test_coordinator_finds_a_time_for_seven_states_and_schedules_the_slot_chosen(
    option: str,
    javascript: bool,
    portal_under: Callable[[str], LiveServer],
    open_context: OpenContext,
    make_account: MakeAccount,
    live_engine: Engine,
    axe_source: str,
) -> None:
    live = portal_under(option)
    home = "Pacific/Port_Moresby"  # the coordinator's own zone; the meeting is hosted from Suva
    coordinator = coordinator_in(live_engine, make_account, home)
    ids = state_ids(live_engine, list(SEVEN))
    # Five months ahead, so that the seven-state meetings these runs leave in the shared live database stay clear of
    # the times other browser tests look for.
    first = datetime.now(ZoneInfo(SUVA)).date() + timedelta(days=150)
    last = first + timedelta(days=13)
    duration = timedelta(minutes=120)
    best = earliest_slot_for_everyone(
        first, last, zone=SUVA, duration=duration, zones={code: zone for code, (_, zone) in SEVEN.items()}
    )
    page = desk(open_context, live, coordinator, javascript=javascript)

    page.locator("header.site").get_by_role("link", name="Meetings", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="Find a time", exact=True).click()
    check(page, axe_source, javascript)
    if javascript:
        # A first search goes out without Vanuatu; the coordinator adds it and searches again before the first
        # answer comes back over a slow link, and that answer arrives last.
        page.evaluate("() => { window.stillTheSamePage = true; }")
        answers = HeldAnswers(page, "/meetings/find-time")
        ask_for_times(page, [code for code in SEVEN if code != "VU"], first, last)
        answers.wait_for(1)
        ask_for_times(page, ["VU"], first, last)
        answers.release_newest_first()
        assert page.evaluate("() => window.stillTheSamePage") is True, "the page was reloaded instead of swapped"
    else:
        with page.expect_navigation():
            ask_for_times(page, list(SEVEN), first, last)

    # The address is the search, so that it can be shared or reloaded.
    expect(page).to_have_url(re.compile(re.escape(f"{live.url}/meetings/find-time?")))
    query = parse_qs(urlsplit(page.url).query)
    assert sorted(map(int, query["states"])) == sorted(ids.values())
    assert (query["first"], query["last"], query["zone"]) == ([first.isoformat()], [last.isoformat()], [SUVA])
    table = page.get_by_role("table", name="Best times first")
    expect(table.get_by_role("columnheader")).to_have_text(
        [f"Time ({SUVA})", "Inside working hours", *(name for name, _ in SEVEN.values()), "Schedule"]
    )
    best_row = table.locator("tbody tr").first
    expect(best_row.get_by_role("rowheader")).to_have_text(short_time(best, SUVA))
    expect(best_row.get_by_role("cell")).to_have_text(
        ["7 / 7", *(short_time(best, zone) for _, zone in SEVEN.values()), "Schedule this slot"]
    )
    check(page, axe_source, javascript)

    best_row.get_by_role("link", name="Schedule this slot", exact=True).click()
    form = region(page, "A single meeting")
    suva = best.astimezone(ZoneInfo(SUVA))
    expect(form.get_by_label("Date at the host", exact=True)).to_have_value(suva.date().isoformat())
    expect(form.get_by_label("Start time at the host", exact=True)).to_have_value(suva.strftime("%H:%M"))
    expect(form.get_by_label("Host's time zone", exact=True)).to_have_value(SUVA)
    expect(form.get_by_label("Duration in minutes", exact=True)).to_have_value("120")
    invitees = form.get_by_role("group", name="Invited states")
    for name, _ in SEVEN.values():
        expect(invitees.get_by_label(name, exact=True)).to_be_checked()
    expect(invitees.get_by_role("checkbox", checked=True)).to_have_count(7)
    check(page, axe_source, javascript)
    title = f"Seven-state SME meeting {uuid.uuid4().hex[:6]}"
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Body or working group", exact=True).select_option(label=SME_BODY)
    form.get_by_label("Format", exact=True).select_option(label="Virtual")
    form.get_by_label("Link (virtual or hybrid)", exact=True).fill(LINK)
    response = submit(page, "Schedule the meeting")

    assert response is not None and response.status == 200
    expect(page.get_by_role("status")).to_have_text("The meeting has been scheduled.")
    meeting, invited = meeting_from_url(live_engine, page.url)
    assert (meeting.starts_at, meeting.ends_at, meeting.host_zone) == (best, best + duration, SUVA)
    assert invited == set(ids.values())
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(fact(page, "Your time")).to_have_text(f"{long_time(best, home)} – {short_time(best + duration, home)}")
    expect(fact(page, "At the host")).to_have_text(f"{long_time(best, SUVA)} (Suva, Fiji)")
    expect(invited_names(page)).to_have_text(sorted(name for name, _ in SEVEN.values()))
    check(page, axe_source, javascript)
