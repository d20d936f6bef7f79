"""Parts of a page that htmx updates as the form changes show the answer to the form as it is now.

On a slow link, answers to quick successive changes arrive in any order. These tests hold the answers and let the
newest through first, then the older ones: what stays on screen must be the answer to the latest state of the form.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import get_settings
from app.members.models import MemberState
from app.training import service as training
from tests.support.browser import Account, HeldAnswers, Watch, sign_in
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]
CANDIDATES = {
    "CK": [("Mere Tapu", "woman"), ("Tere Nia", "man")],
    "WS": [("Sina Leota", "woman")],
    "PG": [("Kila Wari", "man")],
}


def state_ids(live_engine: Engine) -> dict[str, int]:
    with Session(live_engine) as db:
        return {s.code: s.id for s in db.exec(select(MemberState)).all()}  # type: ignore[misc]


def published_course_with_four_candidates(live_engine: Engine, make_account: MakeAccount) -> tuple[Account, int]:
    """Fiji offers three seats; the Cook Islands, Samoa and Papua New Guinea put four candidates forward."""
    ids = state_ids(live_engine)
    provider = make_account("focal_point", member_state_id=ids["FJ"])
    start = date.today() + timedelta(days=40)
    with Session(live_engine, expire_on_commit=False) as db:
        fiji = db.get(User, provider.id)
        assert fiji is not None
        offer = training.create_offer(
            db,
            user=fiji,
            form=training.OfferForm(
                title=f"SAAT preparation {uuid.uuid4().hex[:6]}",
                course_type="saat-preparation",
                track="police",
                starts_on=start.isoformat(),
                ends_on=(start + timedelta(days=4)).isoformat(),
                deadline_on=(start - timedelta(days=10)).isoformat(),
                seats=3,
                seats_per_state=2,
                languages=["en"],
                venue_state="FJ",
                city="Nadi",
                zone="Pacific/Fiji",
            ),
        )
        training.set_status(db, get_settings(), user=fiji, offer=offer, status="published")
        for code, candidates in CANDIDATES.items():
            focal = db.get(User, make_account("focal_point", member_state_id=ids[code]).id)
            assert focal is not None
            for name, gender in candidates:
                training.nominate(
                    db, user=focal, offer=offer, form=training.CandidateForm(full_name=name, gender=gender)
                )
        assert offer.id is not None
        return provider, offer.id


def signed_in(new_context: NewContext, account: Account) -> Page:
    context, _ = new_context()
    page = context.new_page()
    sign_in(page, account.email, account.password)
    return page


def test_the_allocation_preview_shows_the_latest_choices_when_older_answers_arrive_last(
    new_context: NewContext, make_account: MakeAccount, live_engine: Engine, server: LiveServer
) -> None:
    provider, offer_id = published_course_with_four_candidates(live_engine, make_account)
    desk = signed_in(new_context, provider)
    desk.goto(f"/training/{offer_id}")
    answers = HeldAnswers(desk, f"/training/{offer_id}/allocation")

    desk.get_by_label("Decision for Mere Tapu", exact=True).select_option(label="Accepted")
    answers.wait_for(1)
    # The provider goes on choosing while the answer to the first choice is still on its way.
    for name, choice in (("Sina Leota", "Accepted"), ("Kila Wari", "Accepted"), ("Tere Nia", "On the waiting list")):
        desk.get_by_label(f"Decision for {name}", exact=True).select_option(label=choice)
    answers.release_newest_first()

    projection = desk.locator("#projection")
    expect(projection).to_contain_text("With these choices: 3 of 3 seats taken")
    expect(projection).to_contain_text("Women accepted: 66.7% women (2 of 3)")
    for name, value in (
        ("Mere Tapu", "accepted"),
        ("Sina Leota", "accepted"),
        ("Kila Wari", "accepted"),
        ("Tere Nia", "waitlisted"),
    ):
        expect(desk.get_by_label(f"Decision for {name}", exact=True)).to_have_value(value)


# A live filter: its page, the part htmx replaces, and successive choices (a field's label, the value chosen).
FILTERS = {
    "members": (
        "/members",
        "#directory",
        [("Subregion", "melanesia"), ("Subregion", "polynesia"), ("Subregion", "micronesia")],
    ),
    "needs": ("/needs", "#needs", [("Track", "police"), ("Area", "training"), ("Subregion", "polynesia")]),
    "library": (
        "/library",
        "#results",
        [("Kind of document", "lesson_learned"), ("Language", "fr"), ("Kind of document", "guidance_note")],
    ),
    "training catalogue": ("/training", "#offers", [("Track", "police"), ("Language", "fr"), ("Track", "military")]),
    "deconfliction": (
        "/deconfliction",
        "#deconfliction",
        [("Track", "police"), ("Subregion", "melanesia"), ("Track", "military")],
    ),
}


@pytest.mark.parametrize("name", FILTERS)
def test_a_live_filter_shows_the_latest_choices_when_older_answers_arrive_last(
    name: str, new_context: NewContext, make_account: MakeAccount, server: LiveServer
) -> None:
    path, target, choices = FILTERS[name]
    page = signed_in(new_context, make_account("coordinator"))
    page.goto(path)
    answers = HeldAnswers(page, path)
    form = f"form[method='get'][action='{path}']"
    filters = page.locator(form)

    first_label, first_value = choices[0]
    filters.get_by_label(first_label, exact=True).select_option(first_value)
    answers.wait_for(1)
    for label, value in choices[1:]:
        filters.get_by_label(label, exact=True).select_option(value)
    answers.release_newest_first()

    # The address says the latest choices, and the part shown is what that address shows when loaded afresh.
    wanted = {label: value for label, value in choices}
    for label, value in wanted.items():
        expect(filters.get_by_label(label, exact=True)).to_have_value(value)
    shown = page.locator(target).inner_text()
    fresh = page.context.new_page()
    fresh.goto(page.url)
    for label, value in wanted.items():
        expect(fresh.locator(form).get_by_label(label, exact=True)).to_have_value(value)
    assert page.locator(target).inner_text() == shown
    assert fresh.locator(target).inner_text() == shown
    fresh.close()


def test_find_a_time_shows_the_slots_of_the_latest_search_when_an_older_answer_arrives_last(
    new_context: NewContext, make_account: MakeAccount, server: LiveServer
) -> None:
    page = signed_in(new_context, make_account("coordinator"))
    page.goto("/meetings/find-time")
    answers = HeldAnswers(page, "/meetings/find-time")
    first = date.today() + timedelta(days=30)
    form = page.locator("form[action='/meetings/find-time']")
    form.get_by_label("From", exact=True).fill(first.isoformat())
    form.get_by_label("To", exact=True).fill((first + timedelta(days=6)).isoformat())
    states = form.get_by_role("group", name="Invited states")
    states.get_by_label("Fiji", exact=True).check()
    form.get_by_role("button", name="Find times").click()
    answers.wait_for(1)
    # A second search, with Samoa and Japan too, while the first answer is still on its way.
    states.get_by_label("Samoa", exact=True).check()
    states.get_by_label("Japan", exact=True).check()
    form.get_by_role("button", name="Find times").click()
    answers.release_newest_first()

    header = page.locator("#slots table thead")
    expect(header).to_contain_text("Fiji")
    expect(header).to_contain_text("Samoa")
    expect(header).to_contain_text("Japan")


def test_going_back_after_live_filtering_shows_the_whole_earlier_page(
    new_context: NewContext, make_account: MakeAccount, server: LiveServer
) -> None:
    page = signed_in(new_context, make_account("coordinator"))
    page.goto("/members")
    filters = page.locator("form[method='get'][action='/members']")
    subregion = filters.get_by_label("Subregion", exact=True)
    subregion.select_option("melanesia")
    page.wait_for_url("**/members?*subregion=melanesia*")
    melanesia = page.locator("#directory").inner_text()
    subregion.select_option("polynesia")
    page.wait_for_url("**/members?*subregion=polynesia*")
    assert page.locator("#directory").inner_text() != melanesia

    page.go_back()
    page.wait_for_url("**/members?*subregion=melanesia*")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("form[method='get'][action='/members']").get_by_label("Subregion", exact=True)).to_have_value(
        "melanesia"
    )
    assert page.locator("#directory").inner_text() == melanesia
