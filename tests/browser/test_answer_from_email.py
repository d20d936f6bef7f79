"""Answering from the invitation email in the browser: a focal point, not signed in, opens the "I will attend" link
of the email the outbox holds, sees the meeting in their own time, confirms, and a coordinator then sees the answer
on the meeting's page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth import service as accounts
from app.auth.models import User
from app.core.config import get_settings
from app.meetings import service as meetings
from app.meetings.models import Invitation, Meeting
from app.members.models import MemberState
from tests.support.browser import Account, Watch, emails_to, sign_in, submit

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]


def schedule_and_invite(live_engine: Engine, coordinator: Account, state_code: str) -> Meeting:
    """A virtual meeting five weeks from now at 10:00 in Suva, to which the state's focal points are invited."""
    settings = get_settings()
    day = datetime.now(ZoneInfo("Pacific/Fiji")).date() + timedelta(days=35)
    with Session(live_engine, expire_on_commit=False) as db:
        user = db.get(User, coordinator.id)
        assert user is not None
        state = db.exec(select(MemberState).where(MemberState.code == state_code)).one()
        form = meetings.MeetingForm(
            title=f"Readiness check {uuid.uuid4().hex[:6]}",
            day=day.isoformat(),
            start="10:00",
            duration=60,
            host_zone="Pacific/Fiji",
            format="virtual",
            link="https://meet.example.org/readiness",
            body_key="sme",
        )
        meeting = meetings.create_meeting(db, settings, user=user, form=form)
        meetings.invite(db, settings, user=user, meeting=meeting, state_ids=[state.id])  # type: ignore[list-item]
        return meeting


def answer_of(live_engine: Engine, meeting: Meeting, account: Account) -> str:
    with Session(live_engine) as db:
        invitation = db.exec(
            select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == account.id)
        ).one()
        return invitation.answer


def test_a_focal_point_answers_from_the_email_without_signing_in_and_the_coordinator_sees_it(
    page: Page, new_context: NewContext, make_account: MakeAccount, live_engine: Engine
) -> None:
    coordinator = make_account("coordinator")
    with Session(live_engine) as db:
        samoa = db.exec(select(MemberState).where(MemberState.code == "WS")).one()
    focal = make_account("focal_point", member_state_id=samoa.id)
    with Session(live_engine) as db:
        user = db.get(User, focal.id)
        assert user is not None
        accounts.update_preferences(db, user=user, language="en", time_zone="Pacific/Kiritimati")
    meeting = schedule_and_invite(live_engine, coordinator, "WS")

    (email,) = emails_to(live_engine, focal.email)
    found = re.search(r"I will attend: \S+?(/answer/[\w-]+)", email.body)
    assert found, email.body
    page.goto(found.group(1))

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm: I will attend")
    expect(page.get_by_role("main")).to_contain_text(meeting.title_en)
    expect(page.get_by_role("main")).to_contain_text("12:00 UTC+14")
    assert answer_of(live_engine, meeting, focal) == "", "opening the link changes nothing"

    submit(page, "Yes, I will attend")

    expect(page.get_by_role("heading", level=1)).to_have_text("Answer recorded")
    expect(page.get_by_role("status")).to_contain_text("Attending")
    assert answer_of(live_engine, meeting, focal) == "attending"

    context, _ = new_context()
    office = context.new_page()
    sign_in(office, coordinator.email, coordinator.password)
    office.goto(f"/meetings/{meeting.id}")
    row = office.get_by_role("row").filter(has=office.get_by_role("rowheader", name=focal.display_name, exact=True))
    expect(row).to_contain_text("Attending")
