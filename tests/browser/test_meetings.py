"""Meetings in the browser: a coordinator finds a time for the quarterly SME meeting across the date line,
schedules the series, invites, writes the agenda, minutes and an action item; a focal point of the Cook Islands
sees it in Rarotonga time and answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth import service as accounts
from app.auth.models import User
from app.core.config import get_settings
from app.governance import service as governance
from app.governance.models import Body
from app.meetings.models import ActionItem, AgendaItem, Invitation, Meeting, MeetingSeries, MinutesVersion
from app.members.models import MemberState
from app.outbox.models import OutboxMessage
from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit
from tests.support.clock import earliest_slot_for_everyone, long_time, short_day, short_time
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

Row = TypeVar("Row", AgendaItem, MinutesVersion, ActionItem)
NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]

BODY_KEY = "sme"
BODY_NAME = "Quarterly subject-matter-expert meeting"
HOST_ZONE = "Pacific/Fiji"
# The five states of the scenario and the zone of each capital, as the seeds give them.
ZONES = {
    "FJ": "Pacific/Fiji",
    "WS": "Pacific/Apia",
    "CK": "Pacific/Rarotonga",
    "PG": "Pacific/Port_Moresby",
    "PW": "Pacific/Palau",
}
NAMES = {"FJ": "Fiji", "WS": "Samoa", "CK": "Cook Islands", "PG": "Papua New Guinea", "PW": "Palau"}
DURATION = timedelta(minutes=120)


# What the pages should show, worked out here without the portal's code


def window() -> tuple[date, date]:
    """Two weeks of Suva dates starting about three months from today."""
    first = datetime.now(ZoneInfo(HOST_ZONE)).date() + timedelta(days=91)
    return first, first + timedelta(days=13)


def earliest_slot_for_the_five(first: date, last: date) -> datetime:
    return earliest_slot_for_everyone(first, last, zone=HOST_ZONE, duration=DURATION, zones=ZONES)


# Arranging and reading the live database


def state_ids(live_engine: Engine) -> dict[str, int]:
    with Session(live_engine) as db:
        rows = db.exec(select(MemberState).where(col(MemberState.code).in_(list(ZONES)))).all()
        return {state.code: state.id for state in rows}  # type: ignore[misc]


def sme_membership(live_engine: Engine, coordinator: Account, *, join: bool, codes: set[str]) -> set[str]:
    """Records that the states join the SME body (those already members are left out), or that they withdraw
    (asked and confirmed); returns the codes of the states whose membership changed."""
    settings = get_settings()
    changed = set()
    with Session(live_engine) as db:
        body = db.exec(select(Body).where(Body.key == BODY_KEY)).one()
        user = db.get(User, coordinator.id)
        assert user is not None
        standings = governance.memberships(db, body_id=body.id)
        for state in db.exec(select(MemberState).where(col(MemberState.code).in_(codes))).all():
            standing = standings.get((body.id, state.id))  # type: ignore[arg-type]
            if join and (standing is None or not standing.is_member):
                governance.record_membership(db, settings, user=user, body=body, state=state)
            elif not join:
                asked = governance.request_membership(
                    db, settings, user=user, body=body, state=state, action="withdraw"
                )
                governance.decide(db, settings, user=user, event_id=asked.id, accept=True)  # type: ignore[arg-type]
            else:
                continue
            changed.add(state.code)
    return changed


def set_time_zone(live_engine: Engine, account: Account, zone: str) -> None:
    with Session(live_engine) as db:
        user = db.get(User, account.id)
        assert user is not None
        accounts.update_preferences(db, user=user, language="en", time_zone=zone)


def series_meetings(live_engine: Engine, title: str) -> list[Meeting]:
    with Session(live_engine, expire_on_commit=False) as db:
        series = db.exec(select(MeetingSeries).where(MeetingSeries.title_en == title)).one()
        return list(
            db.exec(select(Meeting).where(Meeting.series_id == series.id).order_by(col(Meeting.starts_at))).all()
        )


def rows_of(live_engine: Engine, model: type[Row], meeting_id: int) -> list[Row]:
    """The rows of one of the meeting's tables, in the order they were written."""
    with Session(live_engine, expire_on_commit=False) as db:
        return list(db.exec(select(model).where(col(model.meeting_id) == meeting_id).order_by(col(model.id))).all())


def calendar_sent_to(live_engine: Engine, email: str) -> tuple[OutboxMessage, Calendar]:
    """The only email queued for `email`, and its calendar attachment parsed by the icalendar library."""
    with Session(live_engine, expire_on_commit=False) as db:
        [message] = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == email)).all()
    assert message.calendar, f"the email to {email} has no calendar attachment"
    return message, Calendar.from_ical(message.calendar)


@pytest.fixture
def sme_coordinator(live_engine: Engine, make_account: MakeAccount) -> Iterator[Account]:
    """A coordinator in Suva, with the five states members of the SME body during the test; the states it made
    members withdraw afterwards, so that the other browser tests find the body as they expect it."""
    coordinator = make_account("coordinator")
    set_time_zone(live_engine, coordinator, HOST_ZONE)
    joined = sme_membership(live_engine, coordinator, join=True, codes=set(ZONES))
    yield coordinator
    sme_membership(live_engine, coordinator, join=False, codes=joined)


# Driving the pages


def signed_in_page(new_context: NewContext, account: Account, *, javascript: bool = True) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
    if not javascript:
        assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    return page


def ask_for_times(page: Page, first: date, last: date) -> None:
    """Ticks the five states, sets the window (Suva dates) and a two-hour meeting, and asks."""
    states = page.get_by_role("group", name="Invited states")
    for name in NAMES.values():
        states.get_by_label(name, exact=True).check()
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(last.isoformat())
    page.get_by_label("Dates are in this time zone", exact=True).select_option(HOST_ZONE)
    page.get_by_label("Duration in minutes", exact=True).fill("120")
    page.get_by_role("button", name="Find times", exact=True).click()


def check_best_slot(page: Page, best: datetime) -> None:
    """The slots table lists the five states by name and starts with the expected time, inside for all five."""
    table = page.get_by_role("table", name="Best times first")
    expect(table.get_by_role("columnheader")).to_have_text(
        [
            f"Time ({HOST_ZONE})",
            "Inside working hours",
            "Cook Islands",
            "Fiji",
            "Palau",
            "Papua New Guinea",
            "Samoa",
            "Schedule",
        ]
    )
    first_row = table.locator("tbody tr").first
    expect(first_row.get_by_role("rowheader")).to_have_text(short_time(best, HOST_ZONE))
    expect(first_row.get_by_role("cell")).to_have_text(
        ["5 / 5"] + [short_time(best, ZONES[code]) for code in ("CK", "FJ", "PW", "PG", "WS")] + ["Schedule this slot"]
    )
    expect(first_row.locator(".outside")).to_have_count(0)


def fact(page: Page, term: str) -> Locator:
    """The value beside a term of the meeting's facts list."""
    return page.locator(
        f"xpath=//dl[contains(@class, 'facts')]/dt[normalize-space()='{term}']/following-sibling::dd[1]"
    )


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


# Tests


def test_find_a_time_without_javascript_answers_with_a_full_page_and_the_same_best_slot(
    new_context: NewContext, make_account: MakeAccount, server: LiveServer
) -> None:
    coordinator = make_account("coordinator")
    first, last = window()
    best = earliest_slot_for_the_five(first, last)
    page = signed_in_page(new_context, coordinator, javascript=False)
    page.goto("/meetings/find-time")

    with page.expect_navigation():
        ask_for_times(page, first, last)

    expect(page).to_have_url(
        re.compile(re.escape(f"{server.url}/meetings/find-time?") + ".*" + re.escape(f"first={first.isoformat()}"))
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a time")
    check_best_slot(page, best)
    for name in NAMES.values():
        expect(page.get_by_role("group", name="Invited states").get_by_label(name, exact=True)).to_be_checked()
    expect(page.get_by_label("From", exact=True)).to_have_value(first.isoformat())


def test_coordinator_schedules_the_quarterly_sme_meeting_at_a_found_time_and_a_cook_islands_focal_point_answers(
    sme_coordinator: Account,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    ids = state_ids(live_engine)
    coordinator = sme_coordinator
    focal = make_account("focal_point", member_state_id=ids["CK"], display_name="Teina Marsters")
    set_time_zone(live_engine, focal, "Pacific/Rarotonga")
    first, last = window()
    best = earliest_slot_for_the_five(first, last)
    suva = best.astimezone(ZoneInfo(HOST_ZONE))
    title = f"Quarterly SME meeting {uuid.uuid4().hex[:6]}"

    # Finding a time: the answer comes into the page through htmx, without leaving it.
    desk = signed_in_page(new_context, coordinator)
    desk.locator("header.site").get_by_role("link", name="Meetings", exact=True).click()
    desk.get_by_role("link", name="Find a time", exact=True).click()
    expect(desk).to_have_url(f"{server.url}/meetings/find-time")
    expect(desk.get_by_role("main")).to_contain_text("inside local working hours (08:00-18:00")
    assert_accessible(desk, axe_source)
    desk.evaluate("() => { window.stillTheSamePage = true; }")
    ask_for_times(desk, first, last)
    check_best_slot(desk, best)
    # The address now says the search, so that it can be shared, though the page was not reloaded.
    expect(desk).to_have_url(
        re.compile(re.escape(f"{server.url}/meetings/find-time?") + ".*first=" + first.isoformat())
    )
    assert desk.evaluate("() => window.stillTheSamePage") is True, "the page was reloaded instead of swapped"
    assert_accessible(desk, axe_source)

    # Scheduling the quarterly series at that time, given in Suva.
    desk.goto("/meetings/new")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Schedule a meeting")
    assert_accessible(desk, axe_source)
    series_form = region(desk, "A series")
    series_form.get_by_label("Title", exact=True).fill(title)
    series_form.get_by_label("Body or working group", exact=True).select_option(label=BODY_NAME)
    series_form.get_by_label("Cadence", exact=True).select_option(label="Quarterly")
    series_form.get_by_label("Date of the first meeting at the host", exact=True).fill(suva.date().isoformat())
    series_form.get_by_label("Start time at the host", exact=True).fill(suva.strftime("%H:%M"))
    series_form.get_by_label("Duration in minutes", exact=True).fill("120")
    series_form.get_by_label("Host's time zone", exact=True).select_option(HOST_ZONE)
    series_form.get_by_label("Meeting link", exact=True).fill("https://meet.example.org/sme-quarterly")
    response = submit(desk, "Create the series")

    assert response is not None and response.status == 200
    expect(desk).to_have_url(f"{server.url}/meetings?notice=series-created")
    expect(desk.get_by_role("status")).to_have_text("The series has been created.")
    assert_accessible(desk, axe_source)
    meetings = series_meetings(live_engine, title)
    assert len(meetings) == 4
    assert meetings[0].starts_at == best and meetings[0].ends_at == best + DURATION
    assert {m.host_zone for m in meetings} == {HOST_ZONE}
    assert {m.starts_at.astimezone(ZoneInfo(HOST_ZONE)).strftime("%H:%M") for m in meetings} == {suva.strftime("%H:%M")}
    months = [
        m.starts_at.astimezone(ZoneInfo(HOST_ZONE)).year * 12 + m.starts_at.astimezone(ZoneInfo(HOST_ZONE)).month
        for m in meetings
    ]
    assert [b - a for a, b in zip(months, months[1:], strict=False)] == [3, 3, 3]
    meeting = meetings[0]
    assert meeting.id is not None

    listed = region(desk, "Upcoming").get_by_role("row").filter(has_text=long_time(best, HOST_ZONE))
    listed.get_by_role("link", name=title, exact=True).click()
    expect(desk).to_have_url(f"{server.url}/meetings/{meeting.id}")
    expect(desk.get_by_role("heading", level=1)).to_have_text(title)
    expect(fact(desk, "Your time")).to_contain_text(long_time(best, HOST_ZONE))
    local_times = region(desk, "Local time in each invited state")
    for code, name in NAMES.items():
        row = local_times.get_by_role("row").filter(has=desk.get_by_role("rowheader", name=name, exact=True))
        expect(row.get_by_role("cell")).to_have_text([long_time(best, ZONES[code]), "inside"])
    assert_accessible(desk, axe_source)

    # Sending the invitations: the Cook Islands focal point gets an email with a calendar entry.
    invitations = region(desk, "Invitations")
    for name in NAMES.values():
        expect(invitations.get_by_label(name, exact=True)).to_be_checked()
    response = submit(desk, "Send the invitations")

    assert response is not None and response.status == 200
    expect(desk).to_have_url(f"{server.url}/meetings/{meeting.id}?notice=invited#invitations")
    expect(desk.get_by_role("status")).to_have_text("The invitations have been sent.")
    answer_row = (
        region(desk, "Invitations")
        .get_by_role("row")
        .filter(has=desk.get_by_role("rowheader", name=focal.display_name, exact=True))
    )
    expect(answer_row.get_by_role("cell")).to_have_text(["Cook Islands", "No answer yet"])
    message, invitation = calendar_sent_to(live_engine, focal.email)
    assert message.subject == f"Invitation: {title}"
    assert f"{long_time(best, 'Pacific/Rarotonga')} (your time)" in message.body
    assert f"{long_time(best, HOST_ZONE)} at the host" in message.body
    assert str(invitation["METHOD"]) == "REQUEST"
    [event] = invitation.walk("VEVENT")
    assert str(event["UID"]) == meeting.uid
    assert event.decoded("SEQUENCE") == 0
    assert event["DTSTART"].params["TZID"] == HOST_ZONE
    assert event.decoded("DTSTART") == best and event.decoded("DTEND") == best + DURATION
    assert event.decoded("DTSTART").utcoffset() == suva.utcoffset()
    assert [str(zone["TZID"]) for zone in invitation.walk("VTIMEZONE")] == [HOST_ZONE]
    assert str(event["ATTENDEE"]).lower() == f"mailto:{focal.email}"
    assert str(event["SUMMARY"]) == title

    # The agenda, the minutes in Markdown and an action item owned by Papua New Guinea.
    agenda = region(desk, "Agenda")
    for item, presenter, minutes, part in (
        ("Opening and adoption of the agenda", "Fiji", "15", "Members only"),
        ("Pre-deployment training updates", "Papua New Guinea", "45", "With observers"),
    ):
        agenda.get_by_label("Item", exact=True).fill(item)
        agenda.get_by_label("Presenter (state or organisation)", exact=True).fill(presenter)
        agenda.get_by_label("Duration in minutes", exact=True).fill(minutes)
        agenda.get_by_label("Part", exact=True).select_option(label=part)
        submit(desk, "Add the item")
        expect(desk.get_by_role("status")).to_have_text("The agenda has been updated.")
    expect(region(desk, "Agenda").get_by_role("listitem")).to_have_text(
        [
            re.compile(r"^Opening and adoption of the agenda — 15 minutes · Fiji · Members only"),
            re.compile(r"^Pre-deployment training updates — 45 minutes · Papua New Guinea · With observers"),
        ]
    )

    minutes_text = (
        "## Decisions\n\n"
        "- Palau offers to host the next meeting **in person**.\n"
        "- Samoa circulates its training calendar.\n\n"
        "<script>document.title = 'hijacked'</script>\n"
    )
    region(desk, "Minutes").get_by_label("Minutes (Markdown)", exact=True).fill(minutes_text)
    submit(desk, "Save the minutes")
    expect(desk.get_by_role("status")).to_have_text("The minutes have been saved.")
    written = region(desk, "Minutes").locator(".prose")
    expect(written.get_by_role("heading", level=3)).to_have_text("Decisions")
    expect(written.get_by_role("listitem")).to_have_text(
        ["Palau offers to host the next meeting in person.", "Samoa circulates its training calendar."]
    )
    expect(written.locator("strong")).to_have_text("in person")
    expect(written).to_contain_text("<script>document.title = 'hijacked'</script>")
    expect(written.locator("script")).to_have_count(0)

    due = suva.date() + timedelta(days=28)
    action = "Share the pre-deployment training curriculum with the network"
    actions = region(desk, "Action items")
    actions.get_by_label("Action", exact=True).fill(action)
    actions.get_by_label("Owner state", exact=True).select_option(label="Papua New Guinea")
    actions.get_by_label("Due date", exact=True).fill(due.isoformat())
    submit(desk, "Add the action item")
    expect(desk.get_by_role("status")).to_have_text("The action item has been saved.")
    raised = (
        region(desk, "Action items")
        .get_by_role("row")
        .filter(has=desk.get_by_role("rowheader", name=action, exact=True))
    )
    expect(raised.get_by_role("cell").nth(0)).to_have_text("Papua New Guinea")
    expect(raised.get_by_role("cell").nth(1)).to_have_text(short_day(due))
    expect(raised.get_by_role("combobox")).to_have_value("open")
    assert_accessible(desk, axe_source)

    assert [
        (i.title, i.presenter, i.duration_minutes, i.part) for i in rows_of(live_engine, AgendaItem, meeting.id)
    ] == [
        ("Opening and adoption of the agenda", "Fiji", 15, "members"),
        ("Pre-deployment training updates", "Papua New Guinea", 45, "observers"),
    ]
    [version] = rows_of(live_engine, MinutesVersion, meeting.id)
    assert version.text == minutes_text
    [stored_action] = rows_of(live_engine, ActionItem, meeting.id)
    assert (stored_action.owner_state_id, stored_action.text, stored_action.due_on, stored_action.status) == (
        ids["PG"],
        action,
        due,
        "open",
    )

    # The Cook Islands focal point, in Rarotonga: the meeting falls the day before it does in Suva.
    rarotonga = best.astimezone(ZoneInfo("Pacific/Rarotonga"))
    assert rarotonga.date() == suva.date() - timedelta(days=1)
    page = signed_in_page(new_context, focal)
    page.locator("header.site").get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("main")).to_contain_text("Times are shown in your time zone, Pacific/Rarotonga.")
    waiting = (
        region(page, "Waiting for your answer")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("link", name=title, exact=True))
    )
    expect(waiting).to_have_text(f"{title} — {long_time(best, 'Pacific/Rarotonga')}")
    expect(
        region(page, "Next meetings").get_by_role("listitem").filter(has_text=long_time(best, "Pacific/Rarotonga"))
    ).to_have_count(1)
    expect(region(page, "Your state's action items")).not_to_contain_text(action)
    expect(region(page, "Recent minutes").get_by_role("link", name=title, exact=True)).to_have_count(1)
    assert_accessible(page, axe_source)

    waiting.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(f"{server.url}/meetings/{meeting.id}#answer")
    expect(fact(page, "Your time")).to_have_text(
        f"{long_time(best, 'Pacific/Rarotonga')} – {short_time(best + DURATION, 'Pacific/Rarotonga')}"
    )
    expect(fact(page, "At the host")).to_have_text(f"{long_time(best, HOST_ZONE)} (Suva, Fiji)")
    expect(fact(page, "Your time")).to_contain_text(f"{rarotonga:%A}, {rarotonga.day} {rarotonga:%B}")
    expect(fact(page, "At the host")).to_contain_text(f"{suva:%A}, {suva.day} {suva:%B}")
    expect(region(page, "Minutes").locator(".prose strong")).to_have_text("in person")
    expect(
        region(page, "Action items")
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=action, exact=True))
        .get_by_role("cell")
    ).to_have_text(["Papua New Guinea", short_day(due), "Open"])
    expect(page.get_by_role("button", name="Send the invitations")).to_have_count(0)
    assert_accessible(page, axe_source)

    answer = region(page, "Your answer")
    answer.get_by_label("Attending", exact=True).check()
    response = submit(page, "Send my answer")

    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{server.url}/meetings/{meeting.id}?notice=answered#answer")
    expect(page.get_by_role("status")).to_have_text("Your answer has been recorded.")
    expect(region(page, "Your answer")).to_contain_text("You answered: Attending.")
    expect(region(page, "Your answer").get_by_label("Attending", exact=True)).to_be_checked()
    assert_accessible(page, axe_source)
    with Session(live_engine) as db:
        stored = db.exec(
            select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == focal.id)
        ).one()
        assert (stored.answer, stored.state_id) == ("attending", ids["CK"])
        assert stored.answered_at is not None

    page.goto("/dashboard")
    expect(region(page, "Waiting for your answer").get_by_role("link", name=title, exact=True)).to_have_count(0)
    expect(
        region(page, "Next meetings").get_by_role("listitem").filter(has_text=long_time(best, "Pacific/Rarotonga"))
    ).to_have_count(1)
    assert_accessible(page, axe_source)

    desk.reload()
    answer_row = (
        region(desk, "Invitations")
        .get_by_role("row")
        .filter(has=desk.get_by_role("rowheader", name=focal.display_name, exact=True))
    )
    expect(answer_row.get_by_role("cell")).to_have_text(["Cook Islands", "Attending"])
    assert_accessible(desk, axe_source)
