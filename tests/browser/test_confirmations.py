"""A destructive button looks different and asks once more, with and without JavaScript: a coordinator about to
cancel a meeting sees who will be told, goes back once, then confirms."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import get_settings
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.members.models import MemberState
from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]


def scheduled_meeting(live_engine: Engine, coordinator: Account, invited: Account, title: str) -> int:
    with Session(live_engine, expire_on_commit=False) as db:
        runner = db.get_one(User, coordinator.id)
        fiji = db.exec(select(MemberState).where(MemberState.code == "FJ")).one()
        settings = get_settings()
        meeting = meetings.create_meeting(
            db,
            settings,
            user=runner,
            form=meetings.MeetingForm(
                title=title,
                day=(date.today() + timedelta(days=60)).isoformat(),
                start="10:00",
                duration=120,
                host_zone="Pacific/Fiji",
                format="virtual",
                link="https://meet.example.org/sme",
                body_key="sme",
            ),
        )
        assert fiji.id is not None and meeting.id is not None
        meetings.invite(db, settings, user=runner, meeting=meeting, state_ids=[fiji.id])
        return meeting.id


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_cancelling_a_meeting_asks_first_and_says_who_will_be_told(
    javascript: bool, new_context: NewContext, make_account: MakeAccount, live_engine: Engine, axe_source: str
) -> None:
    with Session(live_engine) as db:
        fiji_id = db.exec(select(MemberState.id).where(MemberState.code == "FJ")).one()
    coordinator = make_account("coordinator")
    focal = make_account("focal_point", member_state_id=fiji_id, display_name=f"Mere {uuid.uuid4().hex[:6]}")
    title = f"SME meeting {uuid.uuid4().hex[:6]}"
    meeting_id = scheduled_meeting(live_engine, coordinator, focal, title)
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, coordinator.email, coordinator.password)
    page.goto(f"/meetings/{meeting_id}")

    cancel = page.get_by_role("button", name="Cancel this meeting only")
    move = page.get_by_role("button", name="Move this meeting only")
    assert cancel.evaluate("b => getComputedStyle(b).backgroundColor") != move.evaluate(
        "b => getComputedStyle(b).backgroundColor"
    ), "the cancel button looks like the others"
    submit(page, "Cancel this meeting only")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel “{title}”?")
    expect(page.get_by_role("region", name="Who will be told")).to_contain_text(focal.email)
    if javascript:
        assert_accessible(page, axe_source)
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    with Session(live_engine) as db:
        assert db.get_one(Meeting, meeting_id).status == "scheduled", "going back cancelled the meeting"

    submit(page, "Cancel this meeting only")
    submit(page, "Cancel the meeting")
    expect(page.get_by_role("status")).to_have_text(
        "The meeting has been cancelled; the invited receive the cancellation."
    )
    with Session(live_engine) as db:
        assert db.get_one(Meeting, meeting_id).status == "cancelled"
