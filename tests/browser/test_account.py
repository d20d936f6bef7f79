"""The account in a real browser: password reset by email, forged forms, preferences, sessions ended by an admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import UserSession
from tests.support.browser import (
    CSRF_MESSAGE,
    Account,
    Watch,
    assert_accessible,
    reset_link,
    sign_in,
    stored_user,
    submit,
)
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
NEW_PASSWORD = "breadfruit tapa canoe harbour"


def signed_in_page(new_context: NewContext, account: Account, server: LiveServer) -> Page:
    """A page in its own browser, signed in as `account`."""
    context, _ = new_context()
    page = context.new_page()
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{server.url}/dashboard")
    return page


def open_sessions(live_engine: Engine, account: Account) -> int:
    with Session(live_engine) as db:
        return len(
            db.exec(
                select(UserSession).where(UserSession.user_id == account.id, col(UserSession.ended_at).is_(None))
            ).all()
        )


def ask_for_reset(page: Page, account: Account) -> None:
    """Goes from the sign-in page to the reset form and asks for a link."""
    page.goto("/auth/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("Email address", exact=True).fill(account.email)
    submit(page, "Send the link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text("a link to reset its password")


def choose_password(page: Page, password: str, again: str | None = None) -> int:
    """Fills and sends the new-password form; returns the status of the page it leads to."""
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again", exact=True).fill(password if again is None else again)
    response = submit(page, "Save the new password")
    assert response is not None
    return response.status


def expect_refused_form(page: Page, language: str = "en") -> None:
    """The portal's error page for a form whose CSRF token did not check out: a refusal, headed as one."""
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text(CSRF_MESSAGE[language])
    expect(page.get_by_role("heading", level=1)).to_have_text({"en": "Not allowed", "fr": "Non autorisé"}[language])


def test_password_reset_by_emailed_link_replaces_the_password_and_works_once(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    account = make_account()
    elsewhere = signed_in_page(new_context, account, server)
    context, _ = new_context()
    page = context.new_page()

    ask_for_reset(page, account)
    assert_accessible(page, axe_source)
    link = reset_link(live_engine, account, server.url)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    expect(page.get_by_role("main")).to_contain_text(account.email)
    assert_accessible(page, axe_source)

    assert choose_password(page, NEW_PASSWORD) == 200

    expect(page).to_have_url(f"{server.url}/auth/sign-in?notice=password-changed")
    expect(page.get_by_role("status")).to_have_text("Your password has been changed. Please sign in.")
    old = sign_in(page, account.email, account.password)
    assert old is not None and old.status == 400
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        "The email address or the password is not correct."
    )
    sign_in(page, account.email, NEW_PASSWORD)
    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()

    elsewhere.goto("/account")
    expect(elsewhere).to_have_url(f"{server.url}/auth/sign-in?next=/account")

    again = page.goto(link)
    assert again is not None and again.status == 400
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        "This link has been used already. Ask for a new one."
    )
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)
    assert_accessible(page, axe_source)


def test_reset_form_refuses_short_common_and_mismatched_passwords_and_keeps_the_link(
    page: Page, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    account = make_account()
    ask_for_reset(page, account)
    link = reset_link(live_engine, account, server.url)
    page.goto(link)
    hash_before = stored_user(live_engine, account).password_hash
    alert = page.get_by_role("main").get_by_role("alert")

    assert choose_password(page, "reef canoe") == 400
    expect(alert).to_have_text("The password must have at least 12 characters.")
    expect(page).to_have_url(link)

    assert choose_password(page, "password1234") == 400
    expect(alert).to_have_text("This password is too common or too easy to guess. Choose another one.")

    assert choose_password(page, NEW_PASSWORD, again=NEW_PASSWORD + " reef") == 400
    expect(alert).to_have_text("The two passwords are not the same.")
    expect(page.get_by_label("New password", exact=True)).to_have_value("")
    assert stored_user(live_engine, account).password_hash == hash_before

    assert choose_password(page, NEW_PASSWORD) == 200
    expect(page).to_have_url(f"{server.url}/auth/sign-in?notice=password-changed")
    sign_in(page, account.email, NEW_PASSWORD)
    expect(page).to_have_url(f"{server.url}/dashboard")


def test_preferences_form_with_a_forged_token_is_refused_and_changes_nothing(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    account = make_account()
    page = signed_in_page(new_context, account, server)
    page.goto("/account")
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_label("Time zone", exact=True).fill("Pacific/Fiji")
    page.evaluate("""() => {
        document.querySelector('form[action="/account/preferences"] input[name=csrf_token]').value = 'forged';
    }""")

    response = submit(page, "Save")

    assert response is not None and response.status == 403
    expect_refused_form(page)
    assert_accessible(page, axe_source)
    user = stored_user(live_engine, account)
    assert (user.language, user.time_zone) == ("en", "UTC")


def test_password_form_without_its_token_is_refused_and_keeps_the_password(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    account = make_account()
    page = signed_in_page(new_context, account, server)
    hash_before = stored_user(live_engine, account).password_hash
    page.goto("/account")
    page.get_by_label("Current password", exact=True).fill(account.password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again", exact=True).fill(NEW_PASSWORD)
    page.evaluate("""() => {
        document.querySelector('form[action="/account/password"] input[name=csrf_token]').remove();
    }""")

    response = submit(page, "Change the password")

    assert response is not None and response.status == 403
    expect_refused_form(page)
    assert stored_user(live_engine, account).password_hash == hash_before
    page.goto("/account")
    expect(page).to_have_url(f"{server.url}/account")


def test_form_carrying_another_browsers_token_is_refused(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    """A page prepared with an attacker's own valid token cannot act for a signed-in victim."""
    attacker, victim = make_account(), make_account()
    attacker_page = signed_in_page(new_context, attacker, server)
    attacker_token = attacker_page.locator("header.site input[name=csrf_token]").first.input_value()
    page = signed_in_page(new_context, victim, server)
    page.evaluate(
        """token => {
        document.querySelector('header.site form[action="/language"] input[name=csrf_token]').value = token;
    }""",
        attacker_token,
    )

    response = submit(page, "Français", within="header.site")

    assert response is not None and response.status == 403
    expect_refused_form(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert stored_user(live_engine, victim).language == "en"
    assert stored_user(live_engine, attacker).language == "en"


# Sent from a page that loads htmx (its filters update in place); no form field carries the token.
HTMX_PREFERENCES = """async ([language, zone]) => {
    await htmx.ajax('POST', '/account/preferences', {source: document.body, target: '#main', swap: 'innerHTML',
                                                      values: {language: language, time_zone: zone}});
}"""


def test_htmx_request_sends_the_pages_token_in_its_header_and_a_tampered_one_is_refused(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    """The token set on <body> for htmx travels as X-CSRF-Token; a changed one gets the error in the page."""
    account = make_account()
    page = signed_in_page(new_context, account, server)
    page.goto("/needs")
    token = page.locator("header.site input[name=csrf_token]").first.input_value()
    page.evaluate("""() => {
        document.body.setAttribute('data-hx-headers-inherited', JSON.stringify({'X-CSRF-Token': 'tampered'}));
    }""")

    with page.expect_response(lambda r: r.url.endswith("/account/preferences")) as refused:
        page.evaluate(HTMX_PREFERENCES, ["fr", "Pacific/Fiji"])

    assert refused.value.status == 403
    assert refused.value.request.headers.get("x-csrf-token") == "tampered"
    expect(page.locator("#main").get_by_role("alert")).to_contain_text(CSRF_MESSAGE["en"])
    user = stored_user(live_engine, account)
    assert (user.language, user.time_zone) == ("en", "UTC")

    page.goto("/needs")
    with page.expect_response(lambda r: r.url.endswith("/account/preferences")) as accepted:
        page.evaluate(HTMX_PREFERENCES, ["fr", "Pacific/Fiji"])

    assert accepted.value.request.headers.get("x-csrf-token") == token
    assert accepted.value.status == 303
    user = stored_user(live_engine, account)
    assert (user.language, user.time_zone) == ("fr", "Pacific/Fiji")


def test_language_and_time_zone_saved_on_the_account_page_change_the_page_and_the_account(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    account = make_account()
    page = signed_in_page(new_context, account, server)
    page.goto("/account")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("UTC")
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_label("Time zone", exact=True).fill("Pacific/Fiji")

    response = submit(page, "Save")

    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{server.url}/account?notice=preferences-saved")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_role("status")).to_have_text("Vos préférences ont été enregistrées.")
    expect(page.get_by_label("Langue", exact=True)).to_have_value("fr")
    expect(page.get_by_label("Fuseau horaire", exact=True)).to_have_value("Pacific/Fiji")
    expect(page.locator("header.site").get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert_accessible(page, axe_source)
    user = stored_user(live_engine, account)
    assert (user.language, user.time_zone) == ("fr", "Pacific/Fiji")

    page.goto("/")
    expect(page.locator("header.site").get_by_role("link", name="Accueil")).to_be_visible()


def test_unknown_time_zone_is_refused_with_the_message_on_the_form(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    account = make_account()
    page = signed_in_page(new_context, account, server)
    page.goto("/account")
    page.get_by_label("Time zone", exact=True).fill("Pacific/Atlantis")

    response = submit(page, "Save")

    assert response is not None and response.status == 400
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text("Choose a time zone from the list.")
    assert stored_user(live_engine, account).time_zone == "UTC"


def test_admin_ending_all_sessions_of_a_user_sends_their_browser_to_sign_in(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    admin, member = make_account("admin"), make_account("observer")
    member_page = signed_in_page(new_context, member, server)
    member_page.goto("/account")
    expect(member_page.get_by_role("main")).to_contain_text(member.email)
    page = signed_in_page(new_context, admin, server)
    page.goto("/admin")
    page.get_by_role("link", name="Accounts").click()
    row = page.get_by_role("row").filter(has_text=member.email)
    expect(row.get_by_role("cell").nth(3)).to_have_text("1")
    assert_accessible(page, axe_source)

    with page.expect_navigation():
        row.get_by_role("button", name=f"End all sessions of {member.display_name}").click()

    expect(page).to_have_url(f"{server.url}/admin/users?notice=sessions-ended")
    expect(page.get_by_role("status")).to_have_text("All sessions of this account have ended.")
    expect(page.get_by_role("row").filter(has_text=member.email).get_by_role("cell").nth(3)).to_have_text("0")
    assert open_sessions(live_engine, member) == 0
    assert open_sessions(live_engine, admin) == 1

    member_page.reload()

    expect(member_page).to_have_url(f"{server.url}/auth/sign-in?next=/account")
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(member_page.locator("header.site").get_by_role("link", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
