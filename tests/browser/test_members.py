"""Members and governance in the browser: inviting a focal point, joining a body, reporting contributions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Response, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import OneTimeToken, User
from app.governance.models import Body, MembershipEvent
from app.members.models import ContributionReport, FocalPoint, MemberState
from app.outbox.models import OutboxMessage
from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit
from tests.support.clock import short_day
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
MakeAccount = Callable[..., Account]
# The default governance option (informal) runs one network body: the quarterly SME meeting.
BODY_KEY = "sme"
BODY_NAME = {"en": "Quarterly subject-matter-expert meeting", "fr": "Réunion trimestrielle d'experts"}
NEW_PASSWORD = "breadfruit canoe trade winds"
JAVASCRIPT = [pytest.param(True, id="with-javascript"), pytest.param(False, id="without-javascript")]


# Reading the live database


def member_state(live_engine: Engine, code: str) -> MemberState:
    with Session(live_engine, expire_on_commit=False) as db:
        found = db.exec(select(MemberState).where(MemberState.code == code)).first()
        assert found is not None, f"seeded state {code} missing from the live database"
        return found


def body_id(live_engine: Engine) -> int:
    with Session(live_engine) as db:
        body = db.exec(select(Body).where(Body.key == BODY_KEY)).first()
        assert body is not None and body.id is not None
        return body.id


def state_never_in_body(live_engine: Engine) -> MemberState:
    """A member state (Fiji left aside) with no membership event for the body yet, so it can ask to join."""
    with Session(live_engine, expire_on_commit=False) as db:
        touched = set(
            db.exec(select(MembershipEvent.state_id).where(MembershipEvent.body_id == body_id(live_engine))).all()
        )
        states = db.exec(
            select(MemberState)
            .where(MemberState.status == "state", MemberState.code != "FJ")
            .order_by(col(MemberState.code).desc())
        ).all()
        free = [state for state in states if state.id not in touched]
        assert free, "every state has joined the body already"
        return free[0]


def membership_events(live_engine: Engine, state_id: int) -> list[MembershipEvent]:
    with Session(live_engine, expire_on_commit=False) as db:
        return list(
            db.exec(
                select(MembershipEvent)
                .where(MembershipEvent.body_id == body_id(live_engine), MembershipEvent.state_id == state_id)
                .order_by(col(MembershipEvent.id))
            ).all()
        )


def contribution_reports(live_engine: Engine, state_id: int) -> list[ContributionReport]:
    with Session(live_engine, expire_on_commit=False) as db:
        return list(
            db.exec(
                select(ContributionReport)
                .where(ContributionReport.state_id == state_id)
                .order_by(col(ContributionReport.id))
            ).all()
        )


def account_by_email(live_engine: Engine, email: str) -> User:
    with Session(live_engine, expire_on_commit=False) as db:
        user = db.exec(select(User).where(User.email == email)).first()
        assert user is not None, f"no account for {email}"
        return user


def invitation_link(live_engine: Engine, email: str, base_url: str) -> str:
    """The link in the newest email queued for `email`, read from the outbox table."""
    with Session(live_engine) as db:
        message = db.exec(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(col(OutboxMessage.id).desc())
        ).first()
        assert message is not None, f"no email queued for {email}"
        found = re.search(re.escape(base_url) + r"/invitations/\S+", message.body)
        assert found, f"no invitation link in the email: {message.body!r}"
        return found.group(0)


def invitation_used(live_engine: Engine, user_id: int) -> bool:
    with Session(live_engine) as db:
        token = db.exec(
            select(OneTimeToken).where(OneTimeToken.user_id == user_id, OneTimeToken.purpose == "invite")
        ).one()
        return token.used_at is not None


# Driving the pages


def signed_in_page(new_context: NewContext, account: Account, *, javascript: bool = True) -> Page:
    context, _ = new_context(java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    if not javascript:
        assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
    return page


def check_accessible(page: Page, axe_source: str, javascript: bool = True) -> None:
    """axe-core on the page. axe needs timers, which do not run without JavaScript; those pages are the same
    documents, checked in the run with JavaScript."""
    if javascript:
        assert_accessible(page, axe_source)


def opened(page: Page, summary: str) -> Locator:
    """The disclosure (<details>) whose summary reads `summary`, opened if it was closed."""
    block = page.locator("details").filter(
        has=page.locator("summary", has_text=re.compile("^" + re.escape(summary) + "$"))
    )
    expect(block).to_have_count(1)
    if block.get_attribute("open") is None:
        block.locator("summary").first.click()
    expect(block.locator("form").first).to_be_visible()
    return block


def press(page: Page, button: Locator) -> Response:
    """Clicks a submit button and returns the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def headings(page: Page, level: int) -> list[str]:
    return [text.strip() for text in page.get_by_role("heading", level=level).all_inner_texts()]


def zone_of(engine: Engine, account: Account) -> str:
    with Session(engine) as db:
        return db.get_one(User, account.id).time_zone


def today_in(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).date().isoformat()


# Inviting a focal point


def test_coordinator_invites_a_focal_point_who_accepts_once_and_lands_on_their_state(
    new_context: NewContext, make_account: MakeAccount, server: LiveServer, live_engine: Engine, axe_source: str
) -> None:
    coordinator = make_account("coordinator")
    tonga = member_state(live_engine, "TO")
    email = f"focal-{uuid.uuid4().hex[:10]}@example.org"
    page = signed_in_page(new_context, coordinator)
    page.goto("/members/TO")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tonga")
    assert_accessible(page, axe_source)

    form = opened(page, "Invite a focal point")
    form.get_by_label("Email address", exact=True).fill(email)
    form.get_by_label("Name", exact=True).fill("Mele Taumalolo")
    form.get_by_label("Portfolio", exact=True).select_option(label="Police")
    form.get_by_label("Position", exact=True).fill("Superintendent, peace operations")
    form.get_by_label("Time zone", exact=True).fill("Pacific/Auckland")
    form.get_by_label("Language", exact=True).select_option(label="Français")
    response = press(page, form.get_by_role("button", name="Send the invitation"))

    assert response.status == 200
    expect(page).to_have_url(f"{server.url}/members/TO?notice=invited")
    expect(page.get_by_role("status")).to_have_text("The focal point has been invited by email.")
    card = page.get_by_role("listitem").filter(has_text="Mele Taumalolo")
    expect(card).to_contain_text("Police, Superintendent, peace operations")
    expect(card).to_contain_text(email)
    expect(card).to_contain_text("Auckland, New Zealand (UTC+1")  # +12 in winter, +13 in summer
    assert_accessible(page, axe_source)

    invited = account_by_email(live_engine, email)
    assert (invited.role, invited.member_state_id, invited.language, invited.time_zone) == (
        "focal_point",
        tonga.id,
        "fr",
        "Pacific/Auckland",
    )
    assert invited.password_hash is None
    with Session(live_engine) as db:
        focal_point = db.exec(select(FocalPoint).where(FocalPoint.user_id == invited.id)).one()
        assert focal_point.portfolio == "police"
    link = invitation_link(live_engine, email, server.url)

    invitee_context, _ = new_context()
    invitee = invitee_context.new_page()
    invitee.goto(link)
    # The invitation speaks the language the coordinator chose for the invitee.
    expect(invitee.locator("html")).to_have_attribute("lang", "fr")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Accepter l’invitation")
    expect(invitee.get_by_role("main")).to_contain_text(
        f"Bienvenue, Mele Taumalolo. Choisissez un mot de passe pour le compte {email}."
    )
    assert_accessible(invitee, axe_source)
    invitee.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    invitee.get_by_label("Nouveau mot de passe, à nouveau", exact=True).fill(NEW_PASSWORD)
    response = submit(invitee, "Accepter et se connecter")

    # Signed in, first asked once to confirm the zone and the language the coordinator chose.
    assert response is not None and response.status == 200
    expect(invitee).to_have_url(f"{server.url}/welcome?next=%2Fmembers%2FTO")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Bienvenue, Mele Taumalolo")
    expect(invitee.get_by_role("main")).to_contain_text("Vous agissez pour Tonga.")
    expect(invitee.get_by_label("Fuseau horaire", exact=True)).to_have_value("Pacific/Auckland")
    expect(invitee.get_by_label("Langue", exact=True)).to_have_value("fr")
    assert_accessible(invitee, axe_source)
    response = submit(invitee, "Confirmer et continuer")

    # On Tonga's page, in the language the coordinator chose, with the state's edit controls.
    assert response is not None and response.status == 200
    expect(invitee).to_have_url(f"{server.url}/members/TO")
    expect(invitee.locator("html")).to_have_attribute("lang", "fr")
    expect(invitee.locator("header.site").get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Tonga")
    expect(invitee.locator("summary", has_text="Déclarer des chiffres")).to_be_visible()
    expect(invitee.get_by_role("button", name="Enregistrer le profil")).to_be_visible()
    assert_accessible(invitee, axe_source)
    assert account_by_email(live_engine, email).password_hash
    assert invitation_used(live_engine, invited.id)  # type: ignore[arg-type]

    again_context, _ = new_context()
    again = again_context.new_page()
    response = again.goto(link)

    assert response is not None and response.status == 400
    expect(again.get_by_role("main").get_by_role("alert")).to_have_text(
        "This link has been used already. Ask for a new one."
    )
    expect(again.get_by_label("New password", exact=True)).to_have_count(0)
    assert_accessible(again, axe_source)


# Joining a body


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_focal_point_asks_to_join_the_body_and_a_coordinator_confirms_it(
    javascript: bool,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    state = state_never_in_body(live_engine)
    assert state.id is not None
    focal = make_account("focal_point", member_state_id=state.id)
    coordinator = make_account("coordinator")
    note = f"Cabinet approved on {uuid.uuid4().hex[:6]}"

    page = signed_in_page(new_context, focal, javascript=javascript)
    page.locator("header.site").get_by_role("link", name="Bodies").click()
    expect(page).to_have_url(f"{server.url}/bodies")
    check_accessible(page, axe_source, javascript)
    # The network's list of bodies (a focal point's own request to join may also name the body, above it).
    page.get_by_role("region", name="Network bodies", exact=True).get_by_role("link", name=BODY_NAME["en"]).click()
    expect(page).to_have_url(f"{server.url}/bodies/{BODY_KEY}")
    expect(page.get_by_role("heading", level=2, name=state.name_en)).to_be_visible()
    check_accessible(page, axe_source, javascript)
    page.get_by_label("Note (optional)", exact=True).fill(note)
    response = submit(page, "Ask to join")

    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{server.url}/bodies/{BODY_KEY}?notice=requested")
    expect(page.get_by_role("status")).to_have_text("The request has been sent to the coordinators.")
    expect(page.get_by_role("main")).to_contain_text("Your request is waiting for a coordinator: asked to join.")
    expect(page.get_by_role("button", name="Ask to join")).to_have_count(0)
    check_accessible(page, axe_source, javascript)
    [request] = membership_events(live_engine, state.id)
    assert (request.kind, request.recorded_by, request.note) == ("join_requested", focal.id, note)

    page.goto(f"/members/{state.code}")
    expect(page.get_by_role("main")).to_contain_text(f"Waiting for confirmation: asked to join ({BODY_NAME['en']}).")
    expect(page.get_by_role("main")).to_contain_text("Not a member of any body of the current option.")

    desk = signed_in_page(new_context, coordinator, javascript=javascript)
    desk.goto("/bodies")
    waiting = desk.get_by_role("listitem").filter(has_text=f"{BODY_NAME['en']}: {state.name_en} — asked to join")
    expect(waiting).to_have_count(1)
    check_accessible(desk, axe_source, javascript)
    waiting.get_by_role("link", name=BODY_NAME["en"]).click()
    expect(desk).to_have_url(f"{server.url}/bodies/{BODY_KEY}")
    decision = desk.locator("form").filter(has_text=f"{state.name_en} — asked to join: «{note}»")
    expect(decision).to_have_count(1)
    check_accessible(desk, axe_source, javascript)
    before = today_in("UTC")
    response = press(desk, decision.get_by_role("button", name="Confirm"))
    after = today_in("UTC")

    assert response.status == 200
    expect(desk).to_have_url(f"{server.url}/bodies/{BODY_KEY}?notice=decided")
    expect(desk.get_by_role("status")).to_have_text("The decision has been recorded.")
    expect(desk.locator("form").filter(has_text=f"{state.name_en} — asked to join")).to_have_count(0)
    check_accessible(desk, axe_source, javascript)
    joined = membership_events(live_engine, state.id)[-1]
    assert (joined.kind, joined.recorded_by) == ("joined", coordinator.id)
    assert joined.at.astimezone(ZoneInfo("UTC")).date().isoformat() in (before, after)

    def since(account: Account) -> str:
        """The day the state joined, as the account reads it: in its own time zone (a focal point's is its state's)."""
        return short_day(joined.at.astimezone(ZoneInfo(zone_of(live_engine, account))).date())

    member_row = desk.get_by_role("row").filter(has=desk.get_by_role("rowheader", name=state.name_en))
    expect(member_row).to_have_text(re.compile(re.escape(state.name_en) + r"\s*" + since(coordinator)))

    for viewer, account in ((desk, coordinator), (page, focal)):
        viewer.goto(f"/members/{state.code}")
        memberships = viewer.get_by_role("region", name="Memberships")
        expect(memberships.get_by_role("listitem")).to_have_text(f"{BODY_NAME['en']} — member since {since(account)}")
        expect(memberships).not_to_contain_text("Waiting for confirmation")
    check_accessible(page, axe_source, javascript)


def test_focal_point_sees_no_edit_controls_for_another_state_and_is_refused_its_edit_address(
    new_context: NewContext, make_account: MakeAccount, server: LiveServer, live_engine: Engine, axe_source: str
) -> None:
    samoa, new_zealand = member_state(live_engine, "WS"), member_state(live_engine, "NZ")
    focal = make_account("focal_point", member_state_id=samoa.id)
    page = signed_in_page(new_context, focal)
    edit_controls = {
        "summary": ["Report figures", "Record a pledge", "Invite a focal point"],
        "button": ["Save the profile", "Record the figures", "Withdraw"],
    }

    page.goto("/members/WS")
    expect(page.locator("summary", has_text="Report figures")).to_be_visible()
    expect(page.get_by_role("button", name="Save the profile")).to_be_visible()

    page.goto("/members/NZ")
    expect(page.get_by_role("heading", level=1)).to_have_text("New Zealand")
    for text in edit_controls["summary"]:
        expect(page.locator("summary", has_text=text)).to_have_count(0)
    for name in edit_controls["button"]:
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)
    assert_accessible(page, axe_source)

    # The profile form of the own state, sent to New Zealand's edit address instead.
    page.goto("/members/WS")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Save the profile"))
    form.evaluate("(form, action) => form.setAttribute('action', action)", "/members/NZ/profile")
    form.get_by_role("textbox").fill("Written by another state's focal point")
    response = press(page, form.get_by_role("button", name="Save the profile"))

    assert response.status == 403
    expect(page).to_have_url(f"{server.url}/members/NZ/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text("You can act only for your own state.")
    assert_accessible(page, axe_source)
    assert member_state(live_engine, "NZ").profile == new_zealand.profile

    page.goto("/members/NZ")
    expect(page.get_by_role("main")).not_to_contain_text("Written by another state's focal point")


# Contributions


@pytest.mark.parametrize(
    ("javascript", "code", "as_of"),
    [
        pytest.param(True, "NR", "2003-07-29", id="with-javascript"),
        pytest.param(False, "TV", "2004-11-23", id="without-javascript"),
    ],
)
def test_focal_point_reports_figures_that_the_contributions_page_shows_and_a_bad_value_changes_nothing(
    javascript: bool,
    code: str,
    as_of: str,
    new_context: NewContext,
    make_account: MakeAccount,
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    state = member_state(live_engine, code)
    assert state.id is not None
    focal = make_account("focal_point", member_state_id=state.id)
    page = signed_in_page(new_context, focal, javascript=javascript)
    page.goto(f"/members/{code}")
    check_accessible(page, axe_source, javascript)

    form = opened(page, "Report figures")
    form.get_by_label("Date", exact=True).fill(as_of)
    form.get_by_label("Category", exact=True).select_option(label="Troops")
    form.get_by_label("Men", exact=True).fill("41")
    form.get_by_label("Women", exact=True).fill("9")
    form.get_by_label("Not specified", exact=True).fill("3")
    form.get_by_label("Source", exact=True).fill("Mission personnel return")
    response = press(page, form.get_by_role("button", name="Record the figures"))

    assert response.status == 200
    expect(page).to_have_url(f"{server.url}/members/{code}?notice=contribution-saved")
    expect(page.get_by_role("status")).to_have_text("The figures have been recorded.")
    shown = short_day(date.fromisoformat(as_of))
    reported = page.get_by_role("region", name="Personnel in UN operations").get_by_role("row").filter(has_text=shown)
    expect(reported).to_have_count(1)
    expect(reported.get_by_role("cell")).to_have_text([shown, "Troops", "41", "9", "3", "53"])
    check_accessible(page, axe_source, javascript)
    [report] = contribution_reports(live_engine, state.id)
    assert (report.as_of, report.category, report.men, report.women, report.unspecified, report.recorded_by) == (
        date.fromisoformat(as_of),
        "troops",
        41,
        9,
        3,
        focal.id,
    )

    form = opened(page, "Report figures")
    form.get_by_label("Date", exact=True).fill(as_of)
    form.get_by_label("Category", exact=True).select_option(label="Troops")
    form.get_by_label("Men", exact=True).fill("-4")
    form.get_by_label("Women", exact=True).fill("12")
    # The browser itself refuses a negative count (min=0); a client that skips that check meets the server's.
    assert form.get_by_label("Men", exact=True).evaluate("field => field.validity.rangeUnderflow") is True
    form.locator("form").first.evaluate("element => { element.noValidate = true; }")
    response = press(page, form.get_by_role("button", name="Record the figures"))

    assert response.status == 400
    form = opened(page, "Report figures")
    expect(form.get_by_role("alert")).to_have_text("Enter whole numbers of people (Men).")
    expect(reported.get_by_role("cell")).to_have_text([shown, "Troops", "41", "9", "3", "53"])
    check_accessible(page, axe_source, javascript)
    assert [r.id for r in contribution_reports(live_engine, state.id)] == [report.id]

    page.locator("header.site").get_by_role("link", name="Contributions").click()
    expect(page).to_have_url(f"{server.url}/contributions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uniformed personnel in UN peacekeeping")
    by_state = page.get_by_role("region", name="Figures reported by states").get_by_role("row").filter(has_text=shown)
    expect(by_state.get_by_role("cell")).to_have_text([state.name_en, shown, "Troops", "41", "9", "3"])
    over_time = page.get_by_role("region", name="Uniformed personnel over time")
    expect(over_time.get_by_role("row").filter(has_text=shown).get_by_role("cell")).to_have_text(
        [shown, "53", "53", "Sum of state reports"]
    )
    bar_label = over_time.locator("svg text.label").filter(has_text=re.compile(f"^{re.escape(shown)}$"))
    expect(bar_label).to_have_count(1)
    expect(bar_label.locator("xpath=preceding-sibling::*[1]")).to_have_text("53")
    assert float(bar_label.locator("xpath=preceding-sibling::*[2]").get_attribute("height") or 0) > 0
    check_accessible(page, axe_source, javascript)


# The same pages in French


def test_member_and_body_pages_show_french_headings_after_the_language_switch(
    new_context: NewContext, make_account: MakeAccount, server: LiveServer, live_engine: Engine, axe_source: str
) -> None:
    coordinator = make_account("coordinator")
    email = f"focal-{uuid.uuid4().hex[:10]}@example.org"
    page = signed_in_page(new_context, coordinator)
    page.goto("/members/CK")
    submit(page, "Français", within="header.site")

    expect(page).to_have_url(f"{server.url}/members/CK")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Îles Cook")
    assert {
        "Adhésions",
        "Points focaux",
        "Personnel dans les opérations des Nations Unies",
        "Annonces au PCRS",
        "Profil",
    } <= set(headings(page, 2))
    assert_accessible(page, axe_source)
    form = opened(page, "Inviter un point focal")
    form.get_by_label("Adresse électronique", exact=True).fill(email)
    form.get_by_label("Nom", exact=True).fill("Teina Rongo")
    form.get_by_label("Portefeuille", exact=True).select_option(label="Défense")
    form.get_by_label("Langue", exact=True).select_option(label="Français")
    submit(page, "Envoyer l’invitation")
    expect(page.get_by_role("status")).to_have_text("Le point focal a été invité par courriel.")
    assert_accessible(page, axe_source)

    page.locator("header.site").get_by_role("link", name="Organes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organes")
    assert {"Organes du réseau", "Architecture régionale"} <= set(headings(page, 2))
    assert_accessible(page, axe_source)
    # The network's list of bodies (requests to join waiting for a coordinator also name the body, above it).
    page.get_by_role("region", name="Organes du réseau", exact=True).get_by_role("link", name=BODY_NAME["fr"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{BODY_NAME['fr']} (SME)")
    assert {"États participants", "Groupes de travail"} <= set(headings(page, 2))
    expect(page.get_by_text("Enregistrer une adhésion")).to_be_visible()
    assert_accessible(page, axe_source)

    page.locator("header.site").get_by_role("link", name="Contributions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Personnel en uniforme dans le maintien de la paix des Nations Unies"
    )
    assert {
        "Personnel en uniforme au fil du temps",
        "Participation des femmes au regard des cibles",
        "Chiffres déclarés par les États",
    } <= set(headings(page, 2))
    assert_accessible(page, axe_source)

    invitee_context, _ = new_context()
    invitee = invitee_context.new_page()
    link = invitation_link(live_engine, email, server.url)
    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Accepter l’invitation")
    submit(invitee, "English", within="header.site")
    expect(invitee).to_have_url(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Accept the invitation")
    submit(invitee, "Français", within="header.site")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Accepter l’invitation")
    assert_accessible(invitee, axe_source)
    invitee.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    invitee.get_by_label("Nouveau mot de passe, à nouveau", exact=True).fill(NEW_PASSWORD)
    submit(invitee, "Accepter et se connecter")
    expect(invitee).to_have_url(f"{server.url}/welcome?next=%2Fmembers%2FCK")
    submit(invitee, "Confirmer et continuer")

    expect(invitee).to_have_url(f"{server.url}/members/CK")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Îles Cook")
    expect(invitee.locator("summary", has_text="Déclarer des chiffres")).to_be_visible()
    assert_accessible(invitee, axe_source)
    invitee.goto(f"/bodies/{BODY_KEY}")
    expect(invitee.get_by_role("heading", level=2, name="Îles Cook")).to_be_visible()
    expect(invitee.get_by_role("button", name="Demander l’adhésion")).to_be_visible()
    assert_accessible(invitee, axe_source)

    invitee.goto(link)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Cela n’a pas pu être fait")
    expect(invitee.get_by_role("main").get_by_role("alert")).to_have_text(
        "Ce lien a déjà servi. Demandez-en un nouveau."
    )
    assert_accessible(invitee, axe_source)
