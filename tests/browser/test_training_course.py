"""A course in the browser: Fiji offers SAAT preparation, three states nominate, Fiji allocates the seats with the
women's share in view, records the SAAT results, and the regional view of certified police officers follows; a
refused allocation keeps the provider's choices, and only the nominating state withdraws its candidate."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import get_settings
from app.members.models import MemberState
from app.outbox.models import OutboxMessage
from app.training import service as training
from app.training.models import Nomination, TrainingOffer
from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]
# Who each nominating state puts forward, in its order of preference.
CANDIDATES = {
    "CK": [("Mere Tapu", "Woman"), ("Tere Nia", "Man")],
    "WS": [("Sina Leota", "Woman")],
    "PG": [("Kila Wari", "Man")],
}
NAMES = {"FJ": "Fiji", "CK": "Cook Islands", "WS": "Samoa", "PG": "Papua New Guinea"}


def state_ids(live_engine: Engine) -> dict[str, int]:
    with Session(live_engine) as db:
        return {s.code: s.id for s in db.exec(select(MemberState)).all() if s.code in NAMES}  # type: ignore[misc]


def signed_in_page(new_context: NewContext, account: Account, *, javascript: bool, language: str = "en") -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password, language=language)
    return page


def check(page: Page, axe_source: str, javascript: bool) -> None:
    """axe-core needs timers, which do not run without JavaScript: pages are checked in the run with it."""
    if javascript:
        assert_accessible(page, axe_source)


def ready_counts(page: Page) -> dict[str, list[str]]:
    """The certified-officers table: state (or Region) → its cells."""
    page.goto("/training/certified")
    table = page.get_by_role("table", name="Readiness for deployment, per state and territory")
    counts = {}
    for row in table.get_by_role("row").all()[1:]:
        counts[row.get_by_role("rowheader").inner_text().strip()] = [
            cell.strip() for cell in row.get_by_role("cell").all_inner_texts()
        ]
    return counts


def move_into_the_past(live_engine: Engine, offer_id: int) -> None:
    """The course has taken place: its days are moved before today in the live database."""
    with Session(live_engine) as db:
        offer = db.get(TrainingOffer, offer_id)
        assert offer is not None
        today = date.today()
        offer.deadline_on, offer.starts_on, offer.ends_on = (
            today - timedelta(days=20),
            today - timedelta(days=6),
            today - timedelta(days=2),
        )
        db.add(offer)
        db.commit()


def decision(page: Page, name: str) -> Locator:
    return page.get_by_label(f"Decision for {name}", exact=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_a_provider_fills_a_saat_course_from_three_states_and_the_certified_officers_view_follows(
    javascript: bool,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    ids = state_ids(live_engine)
    provider = make_account("focal_point", member_state_id=ids["FJ"])
    title = f"SAAT preparation, Blackrock {uuid.uuid4().hex[:6]}"
    start = date.today() + timedelta(days=40)

    # Fiji offers the course and publishes it.
    desk = signed_in_page(new_context, provider, javascript=javascript)
    before = ready_counts(desk)
    desk.goto("/training")
    desk.get_by_role("link", name="Offer a course", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Offer a course")
    check(desk, axe_source, javascript)
    form = desk.get_by_role("main")
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Course type", exact=True).select_option(label="SAAT preparation and assessment")
    form.get_by_label("Track", exact=True).select_option(label="Police")
    form.get_by_label("First day", exact=True).fill(start.isoformat())
    form.get_by_label("Last day", exact=True).fill((start + timedelta(days=4)).isoformat())
    form.get_by_label("Nomination deadline", exact=True).fill((start - timedelta(days=10)).isoformat())
    form.get_by_label("Time zone of the provider", exact=True).select_option("Pacific/Fiji")
    form.get_by_label("State of the venue", exact=True).select_option(label="Fiji")
    form.get_by_label("City", exact=True).fill("Nadi")
    form.get_by_role("group", name="Languages of the course").get_by_label("English", exact=True).check()
    form.get_by_label("Seats", exact=True).fill("3")
    form.get_by_label("Seats per state", exact=True).fill("2")
    response = submit(desk, "Save as a draft")
    assert response is not None and response.status == 200
    expect(desk.get_by_role("status")).to_have_text("The offer has been saved as a draft. Publish it when it is ready.")
    offer_url = desk.url.split("?")[0]
    offer_id = int(offer_url.rsplit("/", 1)[1])
    submit(desk, "Publish")
    expect(desk.get_by_role("status")).to_have_text("The offer is published in the catalogue.")
    check(desk, axe_source, javascript)

    # Three states nominate through the catalogue.
    for code, candidates in CANDIDATES.items():
        focal = make_account("focal_point", member_state_id=ids[code])
        page = signed_in_page(new_context, focal, javascript=javascript)
        page.goto("/training")
        page.get_by_role("link", name=title, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        for name, gender in candidates:
            nominate = page.get_by_role("region", name="Your state's nominations")
            nominate.get_by_label("Full name", exact=True).fill(name)
            nominate.get_by_label("Rank or grade", exact=True).fill("Sergeant")
            nominate.get_by_label("Gender", exact=True).select_option(label=gender)
            submit(page, "Nominate")
            expect(page.get_by_role("status")).to_have_text("The nomination has been sent.")
        mine = page.get_by_role("table", name="In your order of preference")
        expect(mine.get_by_role("rowheader")).to_have_text([name for name, _ in candidates])
        check(page, axe_source, javascript)
        page.context.close()

    # Fiji allocates the three seats, seeing the share of women it would give before confirming.
    addresses: list[str] = []
    desk.on("request", lambda request: addresses.append(request.url))
    desk.goto(offer_url)
    expect(desk.get_by_role("region", name="Women's participation")).to_contain_text("Nominated: 50.0% women (2 of 4)")
    for name in ("Mere Tapu", "Sina Leota", "Kila Wari"):
        decision(desk, name).select_option(label="Accepted")
    decision(desk, "Tere Nia").select_option(label="On the waiting list")
    if not javascript:
        submit(desk, "Show the effect")
        for name in ("Mere Tapu", "Sina Leota", "Kila Wari"):
            expect(decision(desk, name)).to_have_value("accepted")
    projection = desk.locator("#projection")
    expect(projection).to_contain_text("With these choices: 3 of 3 seats taken")
    expect(projection).to_contain_text("Women accepted: 66.7% women (2 of 3)")
    with Session(live_engine) as db:
        assert {n.status for n in db.exec(select(Nomination).where(Nomination.offer_id == offer_id)).all()} == {
            "nominated"
        }, "showing the effect changed the nominations"
    assert not [url for url in addresses if "csrf_token" in url], "showing the effect put the form token in an address"
    check(desk, axe_source, javascript)
    submit(desk, "Confirm the decisions")
    expect(desk.get_by_role("status")).to_have_text("The decisions have been recorded; the states are told.")
    expect(desk.get_by_role("region", name="Women's participation")).to_contain_text("Accepted: 66.7% women (2 of 3)")
    submit(desk, "Close nominations")
    expect(desk.get_by_role("status")).to_have_text("Nominations are closed.")

    # After the course: the SAAT results.
    move_into_the_past(live_engine, offer_id)
    desk.reload()
    results = desk.get_by_role("region", name="Completion and outcomes")
    today = date.today().isoformat()
    for name, outcome in (
        ("Mere Tapu", "SAAT passed"),
        ("Sina Leota", "SAAT passed"),
        ("Kila Wari", "SAAT not passed"),
    ):
        results.get_by_label(f"Outcome for {name}", exact=True).select_option(label=outcome)
        results.get_by_label(f"Date of the outcome for {name}", exact=True).fill(today)
    submit(desk, "Record the outcomes")
    expect(desk.get_by_role("status")).to_have_text("The outcomes have been recorded.")
    check(desk, axe_source, javascript)

    # The regional view counts the two officers who passed, in their states and in the region.
    after = ready_counts(desk)
    check(desk, axe_source, javascript)
    for state, gained in (("Cook Islands", 1), ("Samoa", 1), ("Papua New Guinea", 0), ("Region", 2)):
        assert int(after[state][0]) == int(before[state][0]) + gained, state
        assert int(after[state][1]) == int(before[state][1]) + gained, state
    desk.get_by_role("link", name="Cook Islands", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Training record: Cook Islands")
    expect(desk.get_by_role("table", name="People trained").get_by_role("row").filter(has_text=title)).to_have_text(
        re.compile(r"Mere Tapu.*SAAT passed")
    )
    check(desk, axe_source, javascript)


def test_the_catalogue_and_an_offer_read_in_french(
    new_context: NewContext, make_account: MakeAccount, live_engine: Engine, axe_source: str
) -> None:
    ids = state_ids(live_engine)
    coordinator = make_account("coordinator")
    desk = signed_in_page(new_context, coordinator, javascript=True)
    title = f"Formation préalable au déploiement {uuid.uuid4().hex[:6]}"
    start = date.today() + timedelta(days=50)
    desk.goto("/training/new")
    form = desk.get_by_role("main")
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Course type", exact=True).select_option(label="Pre-deployment training")
    form.get_by_label("Track", exact=True).select_option(label="Military")
    form.get_by_label("Providing state", exact=True).select_option(label="Samoa")
    form.get_by_label("First day", exact=True).fill(start.isoformat())
    form.get_by_label("Last day", exact=True).fill((start + timedelta(days=9)).isoformat())
    form.get_by_label("Nomination deadline", exact=True).fill((start - timedelta(days=7)).isoformat())
    form.get_by_role("group", name="Where").get_by_label("Online", exact=True).check()
    form.get_by_role("group", name="Languages of the course").get_by_label("French", exact=True).check()
    form.get_by_label("Seats", exact=True).fill("12")
    form.get_by_label("Seats per state", exact=True).fill("2")
    submit(desk, "Save as a draft")
    submit(desk, "Publish")
    expect(desk.get_by_role("status")).to_have_text("The offer is published in the catalogue.")

    reader = make_account("focal_point", member_state_id=ids["WS"], language="fr")
    page = signed_in_page(new_context, reader, javascript=True)
    page.goto("/training")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offres de formation")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))
    expect(row).to_contain_text("Formation préalable au déploiement · Militaire")
    expect(row).to_contain_text("En ligne")
    assert_accessible(page, axe_source)
    row.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name="Participation des femmes")).to_be_visible()
    expect(page.get_by_role("heading", name="Proposer un candidat")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("12, au plus 2 par État")
    expect(page.get_by_role("region", name="Participation des femmes")).to_contain_text(
        "Objectif\u00a0: Femmes parmi les officiers d'état-major et les observateurs militaires"
    )
    assert_accessible(page, axe_source)


def course_with_four_candidates(live_engine: Engine, make_account: MakeAccount) -> tuple[Account, int, str]:
    """Fiji offers two seats, two per state; the Cook Islands, Samoa and Papua New Guinea put four candidates
    forward. Returns Fiji's focal point, the offer's id and its title."""
    ids = state_ids(live_engine)
    provider = make_account("focal_point", member_state_id=ids["FJ"], display_name=f"Fiji Desk {uuid.uuid4().hex[:4]}")
    start = date.today() + timedelta(days=40)
    title = f"SAAT preparation, Nadi {uuid.uuid4().hex[:6]}"
    with Session(live_engine, expire_on_commit=False) as db:
        fiji = db.get_one(User, provider.id)
        offer = training.create_offer(
            db,
            user=fiji,
            form=training.OfferForm(
                title=title,
                course_type="saat-preparation",
                track="police",
                starts_on=start.isoformat(),
                ends_on=(start + timedelta(days=4)).isoformat(),
                deadline_on=(start - timedelta(days=10)).isoformat(),
                seats=2,
                seats_per_state=2,
                languages=["en"],
                venue_state="FJ",
                city="Nadi",
                zone="Pacific/Fiji",
            ),
        )
        training.set_status(db, get_settings(), user=fiji, offer=offer, status="published")
        for code, candidates in CANDIDATES.items():
            focal = db.get_one(User, make_account("focal_point", member_state_id=ids[code]).id)
            for name, gender in candidates:
                form = training.CandidateForm(full_name=name, gender=gender.lower())
                training.nominate(db, user=focal, offer=offer, form=form)
        assert offer.id is not None
        return provider, offer.id, title


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_a_refused_allocation_keeps_the_choices_and_only_the_nominating_state_withdraws_its_candidate(
    javascript: bool,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    provider, offer_id, title = course_with_four_candidates(live_engine, make_account)

    # Fiji picks three people for two seats and declines one, with a reason; confirming is refused.
    desk = signed_in_page(new_context, provider, javascript=javascript)
    desk.goto(f"/training/{offer_id}")
    for name in ("Mere Tapu", "Sina Leota", "Tere Nia"):
        decision(desk, name).select_option(label="Accepted")
    decision(desk, "Kila Wari").select_option(label="Declined")
    desk.get_by_label("Reason for Kila Wari", exact=True).fill("Rank below the course's requirement")
    # Leaving the reason field asks for a new preview as the click sends the form: the page is the form's answer.
    with desk.expect_response(lambda answer: answer.request.method == "POST") as sent:
        desk.get_by_role("button", name="Confirm the decisions", exact=True).click()
    assert sent.value.status == 409
    desk.wait_for_load_state()
    allocation = desk.get_by_role("region", name="Allocate the seats")
    expect(allocation.get_by_role("alert")).to_have_text("This would accept 3 people for 2 seats.")
    for name in ("Mere Tapu", "Sina Leota", "Tere Nia"):
        expect(decision(desk, name)).to_have_value("accepted")
    expect(decision(desk, "Kila Wari")).to_have_value("declined")
    expect(desk.get_by_label("Reason for Kila Wari", exact=True)).to_have_value("Rank below the course's requirement")
    check(desk, axe_source, javascript)

    # One change and the same choices go through.
    decision(desk, "Tere Nia").select_option(label="On the waiting list")
    submit(desk, "Confirm the decisions")
    expect(desk.get_by_role("status")).to_have_text("The decisions have been recorded; the states are told.")

    # The provider has no way to withdraw another state's candidate, on the offer or on the candidate's page.
    main = desk.get_by_role("main")
    expect(main.get_by_role("button", name=re.compile("Withdraw"))).to_have_count(0)
    main.get_by_role("link", name="Sina Leota", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Sina Leota")
    expect(desk.get_by_role("main").get_by_role("button", name=re.compile("Withdraw"))).to_have_count(0)

    # Samoa withdraws its own candidate; her seat goes to the Cook Islands' candidate on the waiting list.
    samoa = make_account("focal_point", member_state_id=state_ids(live_engine)["WS"], display_name="Samoa Desk")
    page = signed_in_page(new_context, samoa, javascript=javascript)
    page.goto(f"/training/{offer_id}")
    mine = page.get_by_role("table", name="In your order of preference")
    expect(mine.get_by_role("row").filter(has_text="Sina Leota")).to_contain_text("Accepted")
    check(page, axe_source, javascript)
    submit(page, "Withdraw")
    expect(page.get_by_role("status")).to_have_text("The nomination has been withdrawn.")
    expect(mine.get_by_role("row").filter(has_text="Sina Leota")).to_contain_text("Withdrawn")
    mine.get_by_role("link", name="Sina Leota", exact=True).click()
    history = page.get_by_role("table", name="History of the nomination")
    expect(history.get_by_role("row").filter(has_text="Withdrawn")).to_contain_text("Samoa Desk")
    expect(history.get_by_role("row").filter(has_text="Accepted")).to_contain_text(provider.display_name)
    check(page, axe_source, javascript)

    desk.goto(f"/training/{offer_id}")
    rows = desk.get_by_role("region", name="Allocate the seats").get_by_role("row")
    expect(rows.filter(has_text="Sina Leota")).to_contain_text("Withdrawn")
    expect(rows.filter(has_text="Tere Nia")).to_contain_text("Accepted")
    with Session(live_engine) as db:
        told = db.exec(select(OutboxMessage).where(OutboxMessage.recipient == provider.email)).all()
        assert [m.subject for m in told if "withdrawn" in m.subject] == [f"A candidate withdrawn from {title}"]
