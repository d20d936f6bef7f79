"""Reminders and digests in a real browser: the account's email choices, the dashboard's "Waiting for you", and the
digest's unsubscribe link opened without signing in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.models import User
from app.core import clock
from app.meetings.models import ActionItem, MeetingSeries
from app.notifications.digest import unsubscribe_token
from app.notifications.models import NotificationPreference
from tests.factories import state
from tests.notifications.helpers import action_item, invite, meeting
from tests.support.browser import Account, Watch, assert_accessible, sign_in
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
STATE = "WS"


def signed_in_page(new_context: NewContext, account: Account, *, javascript: bool = True) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
    if not javascript:
        assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    return page


def focal_point(make_account: Callable[..., Account], live_engine: Engine) -> Account:
    with Session(live_engine) as db:
        state_id = state(db, STATE).id
    return make_account("focal_point", member_state_id=state_id)


def stored_choice(live_engine: Engine, account: Account) -> NotificationPreference | None:
    with Session(live_engine, expire_on_commit=False) as db:
        return db.exec(select(NotificationPreference).where(NotificationPreference.user_id == account.id)).first()


def email_choices(page: Page) -> tuple[dict[str, bool], str, str]:
    """The reminders ticked, the digest's frequency and its hour, as the account page shows them."""
    reminders = page.get_by_role("group", name="Reminders").get_by_role("checkbox")
    ticked = {box.get_attribute("value") or "": box.is_checked() for box in reminders.all()}
    digest = page.get_by_label("How often", exact=True).input_value()
    hour = page.get_by_label("Hour, in your time zone", exact=True).input_value()
    return ticked, digest, hour


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_focal_point_turns_a_reminder_off_and_chooses_a_daily_digest(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
    javascript: bool,
) -> None:
    account = focal_point(make_account, live_engine)
    page = signed_in_page(new_context, account, javascript=javascript)
    page.goto("/account")
    every = dict.fromkeys(
        ("meeting", "nomination", "action", "update", "review", "request", "candidates", "need"), True
    )
    assert email_choices(page) == (every, "weekly", "8")

    page.get_by_role("group", name="Reminders").get_by_label(
        "Nomination deadlines of training offers my state has not answered", exact=True
    ).uncheck()
    page.get_by_label("How often", exact=True).select_option(label="Daily")
    page.get_by_label("Hour, in your time zone", exact=True).select_option(label="18:00")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save my email choices", exact=True).click()

    assert navigation.value is not None and navigation.value.status == 200
    expect(page).to_have_url(f"{server.url}/account?notice=notifications-saved#notify-heading")
    expect(page.get_by_role("status")).to_have_text("Your email choices have been saved.")
    saved = ({**every, "nomination": False}, "daily", "18")
    assert email_choices(page) == saved
    page.goto("/account")
    expect(page.get_by_role("status")).to_have_count(0)
    assert email_choices(page) == saved
    if javascript:  # axe-core runs as a script in the page: without JavaScript its promise never settles
        assert_accessible(page, axe_source)

    row = stored_choice(live_engine, account)
    assert row is not None
    assert (row.digest, row.digest_hour, row.reminders_off) == ("daily", 18, "nomination")


def test_an_action_item_due_this_week_waits_on_the_dashboard_until_it_is_done(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    account = focal_point(make_account, live_engine)
    page = signed_in_page(new_context, account)
    section = page.locator("#waiting-for-you")
    count = section.get_by_role("heading", level=2).locator(".badge")
    page.goto("/dashboard")
    before = int(count.inner_text())

    now = clock.now()
    with Session(live_engine, expire_on_commit=False) as db:
        user = db.get(User, account.id)
        assert user is not None
        # A meeting of ten days ago, where the item was raised: the person opens it, and it is not itself waiting.
        earlier = meeting(db, starts_at=now - timedelta(days=10), created_at=now - timedelta(days=20))
        invite(db, earlier, user)
        item = action_item(db, earlier, code=STATE, due_on=now.date() + timedelta(days=3), created_at=now)
    # The link opens the item's row on the page of the meeting that raised it, where the state updates it.
    to_meeting = f'a[href="/meetings/{earlier.id}#action-{item.id}"]'
    link = section.locator(to_meeting)

    page.goto("/dashboard")
    expect(count).to_have_text(str(before + 1))
    # The navigation counts the same, beside the dashboard link, on every page.
    page.goto("/training")
    nav = page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")
    expect(nav.locator("#nav-waiting")).to_contain_text(str(before + 1))
    page.goto("/dashboard")
    expect(section.get_by_role("listitem")).to_have_count(before + 1)
    entry = section.get_by_role("listitem").filter(has=page.locator(to_meeting))
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"Action item: {item.text}")
    expect(entry).not_to_contain_text("overdue")

    # Marked done as the meeting's page would (that page lists action items to its body's members only).
    with Session(live_engine) as db:
        done = db.get(ActionItem, item.id)
        assert done is not None
        done.status = "done"
        db.add(done)
        db.commit()

    page.goto("/dashboard")
    expect(count).to_have_text(str(before))
    expect(link).to_have_count(0)
    if before == 0:
        expect(section).to_contain_text("Nothing is due within a week.")


def test_the_digests_unsubscribe_link_works_without_signing_in_and_refuses_a_tampered_one(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    account = focal_point(make_account, live_engine)
    token = unsubscribe_token(account.id)
    number, _, signature = token.partition("-")
    tampered = f"{number}-{'0' if signature[0] != '0' else '1'}{signature[1:]}"
    context, _ = new_context()
    page = context.new_page()

    refused = page.goto(f"/unsubscribe/{tampered}")
    assert refused is not None and refused.status == 404
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        "This unsubscribe link is not valid. Choose your emails on your account page."
    )
    expect(page.get_by_role("button", name="Stop the digest")).to_have_count(0)

    # The page from the real link, its form pointed at the tampered one: the refusal changes nothing.
    page.goto(f"/unsubscribe/{token}")
    page.evaluate(f"() => {{ document.querySelector('main form').action = '/unsubscribe/{tampered}'; }}")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Stop the digest", exact=True).click()
    assert navigation.value is not None and navigation.value.status == 404
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("This unsubscribe link is not valid.")
    assert stored_choice(live_engine, account) is None

    opened = page.goto(f"/unsubscribe/{token}")
    assert opened is not None and opened.status == 200
    expect(page).to_have_url(f"{server.url}/unsubscribe/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop the digest?")
    expect(page.get_by_role("main")).to_contain_text(account.email)
    assert_accessible(page, axe_source)

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Stop the digest", exact=True).click()

    assert navigation.value is not None and navigation.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("The digest is stopped")
    expect(page.get_by_role("main")).to_contain_text(f"No more digests will be sent to {account.email}.")
    assert_accessible(page, axe_source)
    row = stored_choice(live_engine, account)
    assert row is not None and row.digest == "never"
    assert not any(cookie["name"] for cookie in context.cookies() if "session" in cookie["name"])

    page = signed_in_page(new_context, account)
    page.goto("/account")
    expect(page.get_by_label("How often", exact=True)).to_have_value("never")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_coordinator_sets_a_series_reminder_days_and_sees_them_after_reload(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    javascript: bool,
) -> None:
    with Session(live_engine, expire_on_commit=False) as db:
        series = MeetingSeries(
            title_en=f"Reminder days {javascript}",
            title_fr=f"Jours de rappel {javascript}",
            cadence="custom",
            host_zone="Pacific/Fiji",
            local_start="10:00",
            duration_minutes=60,
            created_at=clock.now(),
        )
        db.add(series)
        db.commit()
    page = signed_in_page(new_context, make_account("coordinator"), javascript=javascript)
    page.goto(f"/meetings/series/{series.id}/next")
    field = page.get_by_label("Reminder days before", exact=True)
    expect(field).to_have_value("")

    field.fill("3, 30, 99")
    page.get_by_role("button", name="Save the reminder days", exact=True).click()
    expect(page.locator("#reminders").get_by_role("alert")).to_contain_text(
        "Reminder days are whole numbers of days from 0 to 60"
    )
    expect(page.get_by_label("Reminder days before", exact=True)).to_have_value("3, 30, 99")

    page.get_by_label("Reminder days before", exact=True).fill("3, 30")
    page.get_by_role("button", name="Save the reminder days", exact=True).click()
    expect(page.locator("#reminders-saved")).to_have_text("The reminder days have been saved.")
    page.reload()
    expect(page.get_by_label("Reminder days before", exact=True)).to_have_value("30, 3")
    with Session(live_engine) as db:
        stored = db.get(MeetingSeries, series.id)
        assert stored is not None and stored.reminder_days == "30 3"
