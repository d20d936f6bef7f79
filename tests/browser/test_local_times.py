"""A coordinator types a meeting time that the clocks skip at the host (02:30 in Auckland on the night New
Zealand's clocks go forward), is offered the nearest times that exist, picks one and the meeting is created at
that instant, with and without JavaScript."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.meetings.models import Meeting
from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]


@pytest.mark.parametrize(
    "javascript", [pytest.param(True, id="with-javascript"), pytest.param(False, id="without-javascript")]
)
def test_a_time_the_clocks_skip_is_refused_with_times_that_exist_and_the_one_picked_is_kept(
    new_context: NewContext, make_account: MakeAccount, live_engine: Engine, axe_source: str, javascript: bool
) -> None:
    coordinator = make_account("coordinator")
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, coordinator.email, coordinator.password)
    title = f"Police track {uuid.uuid4().hex[:8]}"

    page.goto("/meetings/new")
    form = page.locator("#meeting-form")
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Date at the host").fill("2027-09-26")
    form.get_by_label("Start time at the host").fill("02:30")
    form.get_by_label("Duration in minutes").fill("60")
    form.get_by_label("Host state").select_option("NZ")
    expect(form.get_by_label("Host's time zone")).to_have_value("")  # same as the host state
    form.get_by_label("Format").select_option("virtual")
    form.get_by_label("Link (virtual or hybrid)").fill("https://meet.example.org/police")
    submit(page, "Schedule the meeting")

    expect(page.get_by_role("alert")).to_contain_text(
        "02:30 on Sunday, 26 September 2027 does not exist in Pacific/Auckland: "
        "the clocks go forward from 02:00 to 03:00"
    )
    offered = page.get_by_role("group", name="The nearest times that exist:").get_by_role("button")
    expect(offered).to_have_text(
        ["01:30, at UTC+12 (13:30 UTC)", "03:00, at UTC+13 (14:00 UTC)", "03:30, at UTC+13 (14:30 UTC)"]
    )
    expect(form.get_by_label("Title", exact=True)).to_have_value(title)
    if javascript:  # axe-core needs scripts
        assert_accessible(page, axe_source)
    else:
        assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    submit(page, "03:00, at UTC+13 (14:00 UTC)")

    expect(page.locator("#times-confirmed")).to_contain_text("Sunday, 26 September 2027, 03:00")
    expect(page.locator("#times-confirmed")).to_contain_text("Saturday, 25 September 2027, 14:00 UTC")
    with Session(live_engine) as db:
        meeting = db.exec(select(Meeting).where(Meeting.title_en == title)).one()
        assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2027, 9, 25, 14, 0, tzinfo=UTC)
        assert meeting.host_zone == "Pacific/Auckland"
