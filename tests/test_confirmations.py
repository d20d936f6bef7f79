"""Actions that cancel, remove or deactivate ask once more, without JavaScript: the first click shows what will
happen and who will be told and changes nothing; the confirmation does it. Their buttons look different."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.coalitions import service as coalitions
from app.coalitions.models import CoalitionPartner
from app.core.config import get_settings
from app.governance import service as governance
from app.governance.models import WorkingGroup
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.outbox.models import OutboxMessage
from app.training import service as training
from app.training.models import TrainingOffer
from tests.factories import csrf_token, make_user, soup, state
from tests.support.portal import Portal


@dataclass
class Case:
    """Where the button is, what it posts, and how to read whether the change happened."""

    page: str
    button: str
    action: str
    fields: dict[str, str]
    done: Callable[[], bool]
    told: list[str]


def cancel_meeting(session: Session, coordinator: User) -> Case:
    fiji = make_user(session, role="focal_point", member_state_id=state(session, "FJ").id, password=None)
    settings = get_settings()
    meeting = meetings.create_meeting(
        session,
        settings,
        user=coordinator,
        form=meetings.MeetingForm(
            title="Quarterly SME meeting",
            day=(date.today() + timedelta(days=60)).isoformat(),
            start="10:00",
            duration=120,
            host_zone="Pacific/Fiji",
            format="virtual",
            link="https://meet.example.org/sme",
            body_key="sme",
        ),
    )
    meetings.invite(session, settings, user=coordinator, meeting=meeting, state_ids=[state(session, "FJ").id])
    return Case(
        f"/meetings/{meeting.id}",
        "Cancel this meeting only",
        f"/meetings/{meeting.id}/cancel",
        {},
        lambda: session.get_one(Meeting, meeting.id).status == "cancelled",
        [fiji.email],
    )


def cancel_offer(session: Session, coordinator: User) -> Case:
    samoa = make_user(session, role="focal_point", member_state_id=state(session, "WS").id, password=None)
    start = date.today() + timedelta(days=60)
    offer = training.create_offer(
        session,
        user=coordinator,
        form=training.OfferForm(
            title="Pre-deployment course",
            course_type="pre-deployment",
            track="police",
            starts_on=start.isoformat(),
            ends_on=(start + timedelta(days=4)).isoformat(),
            deadline_on=(start - timedelta(days=14)).isoformat(),
            seats=10,
            seats_per_state=2,
            languages=["en"],
            online=True,
            provider_state="FJ",
            zone="Pacific/Fiji",
        ),
    )
    training.set_status(session, get_settings(), user=coordinator, offer=offer, status="published")
    training.nominate(
        session, user=samoa, offer=offer, form=training.CandidateForm(full_name="Sina Leota", gender="woman")
    )
    return Case(
        f"/training/{offer.id}",
        "Cancel the offer",
        f"/training/{offer.id}/status",
        {"status": "cancelled"},
        lambda: session.get_one(TrainingOffer, offer.id).status == "cancelled",
        [samoa.email],
    )


def working_group(session: Session, coordinator: User) -> WorkingGroup:
    return governance.create_working_group(
        session,
        get_settings(),
        user=coordinator,
        body_key="adhoc-network",
        name="Pre-deployment training",
        track="police",
        lead_state_id=state(session, "FJ").id,
        mandate="",
        member_state_ids=[state(session, "WS").id],
    )


def archive_group(session: Session, coordinator: User) -> Case:
    group = working_group(session, coordinator)
    return Case(
        f"/working-groups/{group.id}",
        "Archive",
        f"/working-groups/{group.id}/archive",
        {"archived": "1"},
        lambda: session.get_one(WorkingGroup, group.id).archived_at is not None,
        [],
    )


def remove_member(session: Session, coordinator: User) -> Case:
    group = working_group(session, coordinator)
    samoa = state(session, "WS")
    group_id = group.id
    assert group_id is not None
    return Case(
        f"/working-groups/{group.id}",
        "Remove Samoa",
        f"/working-groups/{group.id}/members",
        {"state_id": str(samoa.id), "change": "remove"},
        lambda: samoa.id not in governance.group_members(session, [group_id]).get(group_id, set()),
        [],
    )


def partner_leaves(session: Session, coordinator: User) -> Case:
    coalition = coalitions.convene(
        session,
        user=coordinator,
        state_id=state(session, "FJ").id,
        title="Support to Fiji's police deployment",
        partner_state_ids=[state(session, "NZ").id],
    )
    partner = session.exec(select(CoalitionPartner).where(CoalitionPartner.coalition_id == coalition.id)).one()
    return Case(
        f"/coalitions/{coalition.id}",
        "Record that this partner left",
        f"/coalitions/{coalition.id}/partners/{partner.id}/leave",
        {},
        lambda: session.get_one(CoalitionPartner, partner.id).left_at is not None,
        [],
    )


def deactivate(session: Session, coordinator: User) -> Case:
    person = make_user(session, role="observer", organisation="UN DPO", password=None, display_name="Olga Observer")
    return Case(
        "/admin/users",
        "Deactivate",
        f"/admin/users/{person.id}/active",
        {"active": "0"},
        lambda: not session.get_one(User, person.id).is_active,
        [],
    )


CASES = {
    "cancel a meeting": cancel_meeting,
    "cancel an offer": cancel_offer,
    "archive a working group": archive_group,
    "remove a member state": remove_member,
    "record that a partner left": partner_leaves,
    "deactivate an account": deactivate,
}


def tally(session: Session) -> tuple[int, int]:
    """Emails queued and audit entries recorded so far."""
    return (
        session.exec(select(func.count()).select_from(OutboxMessage)).one(),
        session.exec(select(func.count()).select_from(AuditEntry)).one(),
    )


@pytest.mark.parametrize("name", CASES)
def test_one_click_asks_first_and_only_the_confirmation_acts(name: str, portal: Portal, session: Session) -> None:
    portal.run("adhoc")
    admin = make_user(session, role="admin", password=None)
    case = CASES[name](session, admin)
    browser = portal.client(admin)
    page = soup(browser.get(case.page).text)
    button = page.find(
        lambda tag: tag.name == "button" and case.button in (tag.get("aria-label") or tag.get_text(" ", strip=True))
    )
    assert button is not None, f"no “{case.button}” button on {case.page}"
    assert "danger" in button.get("class", []), "a destructive button looks different from the others"
    before = tally(session)

    asked = browser.post(case.action, data={"csrf_token": csrf_token(str(page)), **case.fields})

    assert asked.status_code == 200
    assert not case.done() and tally(session) == before, "the first click changed something"
    question = soup(asked.text)
    told = question.find(id="told-heading").find_parent("section").get_text(" ", strip=True)
    for email in case.told:
        assert email in told, f"the page does not say that {email} will be told"
    if not case.told:
        assert "No one is told by email." in told
    form = question.find("button", class_="final").find_parent("form")
    assert form["action"] == case.action
    assert question.find("a", string="No, go back") is not None

    sent: dict[str, Any] = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    confirmed = browser.post(case.action, data=sent)

    assert confirmed.status_code == 303, soup(confirmed.text).get_text(" ", strip=True)[-300:]
    assert case.done()
