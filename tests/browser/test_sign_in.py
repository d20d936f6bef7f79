"""Signing in and out through the pages' forms, with and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.deps import SESSION_COOKIE
from app.auth.models import UserSession
from tests.support.browser import Account, Watch, assert_accessible, sign_in, stored_user, submit
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]


def session_cookie(context: BrowserContext) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE), None)


def test_sign_in_with_email_and_password_opens_the_account(
    page: Page, make_account: Callable[..., Account], server: LiveServer, axe_source: str
) -> None:
    account = make_account()
    page.goto("/account")
    expect(page).to_have_url(f"{server.url}/auth/sign-in?next=/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page, axe_source)

    response = sign_in(page, account.email, account.password)

    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{server.url}/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    expect(page.get_by_role("main")).to_contain_text(account.display_name)
    expect(page.get_by_role("main")).to_contain_text(account.email)
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("header.site").get_by_role("link", name="Sign in")).to_have_count(0)
    assert_accessible(page, axe_source)


def test_wrong_password_shows_the_error_on_the_form_and_does_not_sign_in(
    page: Page, make_account: Callable[..., Account], server: LiveServer, axe_source: str
) -> None:
    account = make_account()
    page.goto("/auth/sign-in")

    response = sign_in(page, account.email, "not the password of this account")

    assert response is not None and response.status == 400
    expect(page).to_have_url(f"{server.url}/auth/sign-in")
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        "The email address or the password is not correct."
    )
    expect(page.get_by_label("Email address", exact=True)).to_have_value(account.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_have_count(0)
    assert session_cookie(page.context) is None
    assert_accessible(page, axe_source)

    page.goto("/account")
    expect(page).to_have_url(f"{server.url}/auth/sign-in?next=/account")


def test_sign_out_ends_the_session_on_the_server(
    new_context: NewContext,
    make_account: Callable[..., Account],
    server: LiveServer,
    live_engine: Engine,
    axe_source: str,
) -> None:
    account = make_account()
    context, _ = new_context()
    page = context.new_page()
    page.goto("/auth/sign-in")
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{server.url}/dashboard")
    token = session_cookie(context)
    assert token

    # The cookie's value alone carries the session: another browser holding it is signed in too.
    replay_context, _ = new_context()
    replay_context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])
    replay = replay_context.new_page()
    replay.goto("/account")
    expect(replay).to_have_url(f"{server.url}/account")
    expect(replay.get_by_role("main")).to_contain_text(account.email)

    response = submit(page, "Sign out", within="header.site")

    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{server.url}/auth/sign-in?notice=signed-out")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_have_count(0)
    assert session_cookie(context) is None
    assert_accessible(page, axe_source)

    page.goto("/account")
    expect(page).to_have_url(f"{server.url}/auth/sign-in?next=/account")
    replay.goto("/account")
    expect(replay).to_have_url(f"{server.url}/auth/sign-in?next=/account")
    with Session(live_engine) as db:
        open_sessions = db.exec(
            select(UserSession).where(UserSession.user_id == account.id, col(UserSession.ended_at).is_(None))
        ).all()
    assert open_sessions == []


def test_sign_in_and_language_switch_work_without_javascript(
    new_context: NewContext, make_account: Callable[..., Account], server: LiveServer, live_engine: Engine
) -> None:
    account = make_account()
    context, _ = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    assert page.evaluate("() => typeof window.htmx") == "undefined", "the page's scripts ran"
    page.locator("header.site").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/auth/sign-in")

    sign_in(page, account.email, account.password)

    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.locator("header.site").get_by_role("button", name="Sign out")).to_be_visible()

    submit(page, "Français", within="header.site")

    expect(page).to_have_url(f"{server.url}/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("header.site").get_by_role("link", name="Accueil")).to_be_visible()
    expect(page.locator("header.site").get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert stored_user(live_engine, account).language == "fr"

    submit(page, "English", within="header.site")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header.site").get_by_role("link", name="Home")).to_be_visible()
    assert stored_user(live_engine, account).language == "en"
