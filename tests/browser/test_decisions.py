"""The decisions register in the browser, with and without JavaScript: a coordinator records a consensus decision,
one with a reservation by a named state and one deferred; the deferred one is on the next meeting's draft agenda;
an action item carries out the first; an observer reads the published decision on the public page without the
reservation's author (Chatham House); a French search finds a decision by a word of its French text."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.config import get_settings
from app.decisions.models import Decision
from app.governance import service as governance
from app.governance.models import Body
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.members.models import MemberState
from tests.support.browser import Account, Watch, sign_in, submit

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]
ZONE = "Pacific/Fiji"
PRESENT = ("FJ", "WS", "CK")


@dataclass
class Scene:
    coordinator: Account
    held: int
    next: int
    held_title: str
    next_title: str
    action_text: str
    tag: str


@pytest.fixture
def scene(live_engine: Engine, make_account: MakeAccount) -> Iterator[Scene]:
    """An SME meeting held a week ago under the Chatham House rule (Fiji, Samoa and the Cook Islands present, one
    action item raised) and the next one in three months; the states made members withdraw afterwards."""
    settings = get_settings()
    coordinator = make_account("coordinator")
    tag = uuid.uuid4().hex[:8]
    today = datetime.now(ZoneInfo(ZONE)).date()
    joined: list[MemberState] = []
    with Session(live_engine, expire_on_commit=False) as db:
        user = db.get(User, coordinator.id)
        assert user is not None
        body = db.exec(select(Body).where(Body.key == "sme")).one()
        standings = governance.memberships(db, body_id=body.id)
        states = {s.code: s for s in db.exec(select(MemberState).where(col(MemberState.code).in_(PRESENT))).all()}
        for state in states.values():
            standing = standings.get((body.id, state.id))  # type: ignore[arg-type]
            if standing is None or not standing.is_member:
                governance.record_membership(db, settings, user=user, body=body, state=state)
                joined.append(state)

        def meeting(title: str, day: str) -> Meeting:
            form = meetings.MeetingForm(
                title=title,
                day=day,
                start="10:00",
                duration=120,
                host_zone=ZONE,
                format="virtual",
                link="https://meet.example.org/sme",
                body_key="sme",
            )
            return meetings.create_meeting(db, settings, user=user, form=form)

        held = meeting(f"SME meeting {tag}", (today - timedelta(days=7)).isoformat())
        later = meeting(f"Next SME meeting {tag}", (today + timedelta(days=91)).isoformat())
        meetings.record_attendance(db, user=user, meeting=held, present_state_ids=[s.id for s in states.values()])  # type: ignore[misc]
        meetings.set_publication(db, user=user, meeting=held, summary="", publish=False, chatham_house=True)
        action_text = f"Circulate the adopted calendar {tag}"
        meetings.add_action_item(
            db,
            user=user,
            meeting=held,
            owner_state_id=states["FJ"].id,  # type: ignore[arg-type]
            text=action_text,
            due_on=(today + timedelta(days=30)).isoformat(),
        )
        found = Scene(coordinator, held.id, later.id, held.title_en, later.title_en, action_text, tag)  # type: ignore[arg-type]
    yield found
    with Session(live_engine) as db:
        user = db.get(User, coordinator.id)
        body = db.exec(select(Body).where(Body.key == "sme")).one()
        for state in joined:
            asked = governance.request_membership(db, settings, user=user, body=body, state=state, action="withdraw")  # type: ignore[arg-type]
            governance.decide(db, settings, user=user, event_id=asked.id, accept=True)  # type: ignore[arg-type]


def signed_in(new_context: NewContext, account: Account, javascript: bool) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    return page


def record(page: Page, scene: Scene, english: str, french: str, outcome: str) -> int:
    """Records a decision from the meeting page (Fiji proposing); returns its id, read from its stable address."""
    page.goto(f"/meetings/{scene.held}")
    form = page.locator("#decisions form")
    form.get_by_label("Decision in English", exact=True).fill(english)
    form.get_by_label("Decision in French", exact=True).fill(french)
    form.get_by_label("Proposed by (state)", exact=True).select_option(label="Fiji")
    form.get_by_label(outcome, exact=True).check()
    if outcome == "Consensus with reservations":
        form.get_by_label("State 1", exact=True).select_option(label="Samoa")
        form.locator("textarea[name=reservation_words]").first.fill(f"Samoa will join once funded {scene.tag}.")
    if outcome == "No consensus: deferred":
        form.get_by_label("Deferred to (no consensus)", exact=True).select_option(value=str(scene.next))
    submit(page, "Record the decision")
    expect(page.get_by_role("status")).to_contain_text("The decision has been recorded.")
    return int(page.url.split("/decisions/")[1].split("?")[0])


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_register_records_follows_up_publishes_and_finds_decisions(
    new_context: NewContext, make_account: MakeAccount, live_engine: Engine, scene: Scene, javascript: bool
) -> None:
    page = signed_in(new_context, scene.coordinator, javascript)
    first = record(
        page,
        scene,
        "The network adopts the regional training calendar.",
        f"Le réseau adopte le calendrier régional de formation {scene.tag}.",
        "Consensus",
    )
    second = record(
        page,
        scene,
        "Member states share their deployment rosters.",
        "Les États membres partagent leurs listes de déploiement.",
        "Consensus with reservations",
    )
    deferred = record(
        page,
        scene,
        "A joint field exercise in 2028.",
        "Un exercice conjoint sur le terrain en 2028.",
        "No consensus: deferred",
    )
    with Session(live_engine) as db:
        assert db.get(Decision, deferred).deferred_to_id == scene.next  # type: ignore[union-attr]

    # The deferred decision is on the next meeting's draft agenda.
    page.goto(f"/meetings/{scene.next}")
    expect(page.locator("#agenda")).to_contain_text("A joint field exercise in 2028.")

    # An action item carries out the first decision.
    page.goto(f"/decisions/{first}")
    page.get_by_label("Action item", exact=True).select_option(label=scene.action_text)
    submit(page, "Link to this decision")
    expect(page.locator("#actions")).to_contain_text(scene.action_text)

    # The second is published; an observer reads it on the public page without Samoa's name.
    page.goto(f"/decisions/{second}")
    expect(page.locator("main")).to_contain_text("Reservation of Samoa:")
    submit(page, "Publish on the public page")
    observer = signed_in(new_context, make_account("observer"), javascript)
    observer.goto("/")
    published = observer.locator(f"#published-decisions #decision-{second}")
    expect(published).to_contain_text("Member states share their deployment rosters.")
    expect(published).to_contain_text(f"Samoa will join once funded {scene.tag}.")
    expect(published).to_contain_text("Reservation of a member state (Chatham House rule):")
    expect(published).not_to_contain_text("Samoa:")

    # A French search finds the first decision by words of its French text.
    page.goto("/decisions")
    page.get_by_label("Words to look for", exact=True).fill(f"calendrier {scene.tag}")
    page.get_by_label("Words to look for", exact=True).press("Enter")
    results = page.locator("#results article")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("The network adopts the regional training calendar.")
