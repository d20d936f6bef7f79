"""Membership journeys end to end in the browser, with and without JavaScript: a focal point asks to join a body,
the coordinator finds the request on the dashboard and confirms it, and the state's focal points are told by email
(under each governance option: the shared live server runs the informal option, the others are served from a
database of their own); an admin corrects a focal point's state and the state pages follow; a new focal point
confirms time zone and language at first sign-in."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core.db import make_engine
from app.governance.models import Body, MembershipEvent
from app.members.models import MemberState
from tests.support.browser import Account, Watch, assert_accessible, emails_to, sign_in, submit
from tests.support.database import migrate
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]
JAVASCRIPT = [pytest.param(True, id="with-javascript"), pytest.param(False, id="without-javascript")]


@dataclass(frozen=True)
class Portal:
    """A live portal under one governance option: its server (None for the shared one) and its database."""

    option: str
    server: LiveServer | None
    engine: Engine


@dataclass(frozen=True)
class Joining:
    """A network body of an option, with its names in both languages."""

    key: str
    name_en: str
    name_fr: str


# The portal under another option


@pytest.fixture(scope="module")
def other_database(new_database: Callable[[str], str], live_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A migrated, seeded database of its own, for portals started under the other options: switching the shared
    server's database would change what the other browser tests see."""
    url = new_database("prcn_live_options")
    migrate(url)
    env = {**live_env, "PRCN_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "app", "seed"], env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL
    )
    yield env


@pytest.fixture
def portal_under(
    request: pytest.FixtureRequest, server: LiveServer, live_engine: Engine
) -> Iterator[Callable[[str], Portal]]:
    """Starts the portal under an option: the shared live server for informal, else a server of its own."""
    started: list[tuple[LiveServer, Engine]] = []

    def start(option: str) -> Portal:
        if option == "informal":
            return Portal(option, None, live_engine)
        env = request.getfixturevalue("other_database")
        live = LiveServer({**env, "PRCN_GOVERNANCE_OPTION": option}).start()
        engine = make_engine(env["PRCN_DATABASE_URL"])
        started.append((live, engine))
        return Portal(option, live, engine)

    yield start
    for live, engine in started:
        live.stop()
        engine.dispose()


# Reading the live databases


def network_body(engine: Engine, key: str) -> Joining:
    with Session(engine) as db:
        body = db.exec(select(Body).where(Body.key == key)).one()
        return Joining(body.key, body.name_en, body.name_fr)


def state_never_in(engine: Engine, key: str) -> MemberState:
    """A sovereign state with no membership event for the body yet, so that it can ask to join."""
    with Session(engine, expire_on_commit=False) as db:
        body = db.exec(select(Body).where(Body.key == key)).one()
        touched = set(db.exec(select(MembershipEvent.state_id).where(MembershipEvent.body_id == body.id)).all())
        states = db.exec(select(MemberState).where(MemberState.status == "state").order_by(col(MemberState.code))).all()
        free = [state for state in states if state.id not in touched]
        assert free, "every state has asked to join the body already"
        return free[0]


def state_named(engine: Engine, code: str) -> MemberState:
    with Session(engine, expire_on_commit=False) as db:
        return db.exec(select(MemberState).where(MemberState.code == code)).one()


def subjects_to(engine: Engine, account: Account) -> list[str]:
    return [message.subject for message in emails_to(engine, account.email)]


# Driving the pages


def signed_in_page(
    new_context: NewContext, account: Account, *, javascript: bool, live: LiveServer | None = None
) -> Page:
    context, _ = new_context(live, java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    if not javascript:
        assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
    return page


def check_accessible(page: Page, axe_source: str, javascript: bool) -> None:
    """axe-core needs timers, which do not run without JavaScript: the same documents are checked with it."""
    if javascript:
        assert_accessible(page, axe_source)


def focal_points_listed(page: Page) -> Iterator[str]:
    return iter(page.get_by_role("region", name="Focal points").get_by_role("listitem").all_inner_texts())


# Asking to join a body


OPTIONS = [
    pytest.param("informal", "sme", True, id="informal-with-javascript"),
    pytest.param("informal", "sme", False, id="informal-without-javascript"),
    pytest.param("diplomatic", "pif-subcommittee", True, id="diplomatic"),
    pytest.param("operational", "picp-group", True, id="operational"),
    pytest.param("adhoc", "adhoc-network", False, id="adhoc-without-javascript"),
]


@pytest.mark.parametrize(("option", "key", "javascript"), OPTIONS)
def test_a_request_to_join_reaches_the_coordinator_whose_answer_reaches_the_states_focal_points(
    option: str,
    key: str,
    javascript: bool,
    portal_under: Callable[[str], Portal],
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    axe_source: str,
) -> None:
    portal = portal_under(option)
    live, engine = portal.server, portal.engine
    base = (live or server).url
    body = network_body(engine, key)
    state = state_never_in(engine, key)
    focal = make_account("focal_point", member_state_id=state.id, engine=engine)
    french_focal = make_account("focal_point", member_state_id=state.id, language="fr", engine=engine)
    coordinator = make_account("coordinator", engine=engine)
    note, answer = f"Cabinet decision {uuid.uuid4().hex[:6]}", f"Welcome {uuid.uuid4().hex[:6]}"

    page = signed_in_page(new_context, focal, javascript=javascript, live=live)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.locator("header.site").get_by_role("link", name="Bodies").click()
    page.get_by_role("link", name=body.name_en).click()
    expect(page.get_by_role("heading", level=2, name=state.name_en)).to_be_visible()
    page.get_by_label("Note (optional)", exact=True).fill(note)
    submit(page, "Ask to join")
    expect(page.get_by_role("status")).to_have_text("The request has been sent to the coordinators.")
    check_accessible(page, axe_source, javascript)
    assert f"{state.name_en} asks to join {body.name_en}" in subjects_to(engine, coordinator)

    desk = signed_in_page(new_context, coordinator, javascript=javascript, live=live)
    expect(desk).to_have_url(f"{base}/dashboard")
    waiting = desk.get_by_role("region", name="Requests waiting for a decision").get_by_role("listitem")
    request = waiting.filter(has_text=f"{state.name_en} — asked to join")
    expect(request).to_have_count(1)
    check_accessible(desk, axe_source, javascript)
    request.get_by_role("link", name=body.name_en).click()
    asked = request_id(engine, state)
    expect(desk).to_have_url(f"{base}/bodies/{key}#request-{asked}")
    decision = desk.locator(f"form#request-{asked}")
    expect(decision).to_contain_text(f"{state.name_en} — asked to join: «{note}»")
    decision.get_by_label("Note (optional)", exact=True).fill(answer)
    with desk.expect_navigation():
        decision.get_by_role("button", name="Confirm").click()
    expect(desk.get_by_role("status")).to_have_text("The decision has been recorded.")
    check_accessible(desk, axe_source, javascript)
    desk.locator("header.site").get_by_role("link", name="Dashboard").click()
    expect(waiting.filter(has_text=f"{state.name_en} — asked to join")).to_have_count(0)

    assert f"{state.name_en} has joined {body.name_en}" in subjects_to(engine, focal)
    assert f"{state.name_fr} a rejoint {body.name_fr}" in subjects_to(engine, french_focal)
    [told] = [m for m in emails_to(engine, focal.email) if m.subject.endswith(f"has joined {body.name_en}")]
    assert f"Note from {coordinator.display_name}: {answer}" in told.body
    page.goto(f"/members/{state.code}")
    memberships = page.get_by_role("region", name="Memberships")
    expect(memberships.get_by_role("listitem").filter(has_text=body.name_en)).to_contain_text("member since")


def request_id(engine: Engine, state: MemberState) -> int:
    """The id of the state's latest membership event: the request waiting for a decision."""
    with Session(engine) as db:
        event = db.exec(
            select(MembershipEvent).where(MembershipEvent.state_id == state.id).order_by(col(MembershipEvent.id).desc())
        ).first()
        assert event is not None and event.id is not None
        return event.id


# An admin corrects a focal point's state


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_an_admin_corrects_a_focal_points_state_and_the_state_pages_follow(
    javascript: bool,
    new_context: NewContext,
    make_account: MakeAccount,
    live_engine: Engine,
    server: LiveServer,
    axe_source: str,
) -> None:
    wrong, right = state_named(live_engine, "NR"), state_named(live_engine, "TV")
    focal = make_account("focal_point", member_state_id=wrong.id)
    admin = make_account("admin")
    own = signed_in_page(new_context, focal, javascript=javascript)
    own.goto("/account")
    expect(own.locator("dl.facts")).to_contain_text(f"Acts for{wrong.name_en}")

    page = signed_in_page(new_context, admin, javascript=javascript)
    page.goto(f"/members/{wrong.code}")
    assert any(line.startswith(focal.display_name) for line in focal_points_listed(page))
    page.locator("header.site").get_by_role("link", name="Administration").click()
    page.get_by_role("main").get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name=focal.display_name, exact=True).click()
    expect(page).to_have_url(f"{server.url}/admin/users/{focal.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(focal.display_name)
    check_accessible(page, axe_source, javascript)
    page.get_by_label("Member state (focal points only)", exact=True).select_option(label=right.name_en)
    submit(page, "Save the account")

    expect(page).to_have_url(f"{server.url}/admin/users?notice=account-updated")
    expect(page.get_by_role("status")).to_have_text("The account has been updated.")
    check_accessible(page, axe_source, javascript)
    page.goto(f"/members/{right.code}")
    assert any(line.startswith(focal.display_name) for line in focal_points_listed(page))
    check_accessible(page, axe_source, javascript)
    page.goto(f"/members/{right.code}/brief")
    expect(page.get_by_role("region", name="Focal points")).to_contain_text(focal.email)
    page.goto(f"/members/{wrong.code}")
    assert not any(line.startswith(focal.display_name) for line in focal_points_listed(page))

    # Still signed in (a new state does not end the sessions), the focal point now acts for the right state.
    own.reload()
    expect(own.locator("dl.facts")).to_contain_text(f"Acts for{right.name_en}")
    own.goto(f"/members/{right.code}")
    expect(own.locator("summary", has_text="Report figures")).to_be_visible()


# A first sign-in


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_a_new_focal_point_confirms_zone_and_language_once_and_lands_on_the_dashboard(
    javascript: bool,
    new_context: NewContext,
    make_account: MakeAccount,
    live_engine: Engine,
    server: LiveServer,
    axe_source: str,
) -> None:
    fiji = state_named(live_engine, "FJ")
    focal = make_account("focal_point", member_state_id=fiji.id, confirmed=False)
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()

    sign_in(page, focal.email, focal.password)

    expect(page).to_have_url(f"{server.url}/welcome?next=%2Fdashboard")
    expect(page.get_by_role("main")).to_contain_text("You act for Fiji.")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Pacific/Fiji")
    check_accessible(page, axe_source, javascript)
    page.get_by_label("Language", exact=True).select_option(label="Français")
    submit(page, "Confirm and continue")

    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("main")).to_contain_text("Pacific/Fiji")
    check_accessible(page, axe_source, javascript)
    submit(page, "Se déconnecter", within="header.site")
    sign_in(page, focal.email, focal.password, language="fr")
    expect(page).to_have_url(f"{server.url}/dashboard")
