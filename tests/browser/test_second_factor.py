"""The second factor in the browser, under the default policy (admins and coordinators must use one): a coordinator
is made to set up an authenticator app, signs in again with a code the test computes, and a recovery code works
once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.browser import Account, Watch, assert_accessible, sign_in, submit
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]


@pytest.fixture(scope="module")
def mfa_server(live_env: dict[str, str]) -> Iterator[LiveServer]:
    """A portal with the policy of a real deployment: admins and coordinators must use a second factor."""
    live = LiveServer({**live_env, "PRCN_MFA_REQUIRED_ROLES": "admin,coordinator"}).start()
    try:
        yield live
    finally:
        live.stop()


def test_coordinator_is_made_to_enrol_then_signs_in_with_a_code_and_a_recovery_code_works_once(
    new_context: NewContext, mfa_server: LiveServer, make_account: Callable[..., Account], axe_source: str
) -> None:
    account = make_account("coordinator")
    context, _ = new_context(live=mfa_server)
    page: Page = context.new_page()

    # Right after the password: the set-up page, and no other page until it is done.
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{mfa_server.url}/account/second-factor?next=%2Fdashboard")
    expect(page.get_by_role("main")).to_contain_text("Your role must use a second factor")
    page.goto("/admin/users")
    expect(page).to_have_url(f"{mfa_server.url}/account/second-factor?next=")
    page.goto("/meetings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factor")
    qr = page.get_by_role("img", name="QR code of the authenticator secret")
    expect(qr).to_be_visible()
    assert page.evaluate("() => document.querySelector('main img').naturalWidth") > 0
    assert_accessible(page, axe_source)
    secret = page.locator("#totp-secret").inner_text().strip()

    page.get_by_label("Code", exact=True).fill("000000")
    submit(page, "Confirm the authenticator app")
    expect(page.get_by_role("alert")).to_contain_text("This code is not correct")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    submit(page, "Confirm the authenticator app")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = [code.strip() for code in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10
    with page.expect_navigation():
        page.get_by_role("link", name="I have kept them, continue").click()
    expect(page).to_have_url(f"{mfa_server.url}/dashboard")

    # A new sign-in asks for a code; the next window's code passes (the one used to set up cannot pass again).
    context.clear_cookies()
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{mfa_server.url}/auth/second-factor?next=%2Fdashboard")
    assert_accessible(page, axe_source)
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).at(time.time() + 30))
    submit(page, "Continue")
    expect(page).to_have_url(f"{mfa_server.url}/dashboard")

    # A recovery code signs in once, and says how many remain.
    context.clear_cookies()
    sign_in(page, account.email, account.password)
    page.get_by_label("Recovery code", exact=True).fill(codes[0])
    submit(page, "Use the recovery code")
    expect(page.locator("#recovery-remaining")).to_contain_text("9 unused recovery codes remain")
    context.clear_cookies()
    sign_in(page, account.email, account.password)
    page.get_by_label("Recovery code", exact=True).fill(codes[0])
    submit(page, "Use the recovery code")
    expect(page.get_by_role("alert")).to_contain_text("This recovery code is not correct, or it has been used already.")
    page.goto("/dashboard")
    expect(page).to_have_url(f"{mfa_server.url}/auth/second-factor")


def test_an_observer_signs_in_with_a_password_alone_and_may_enrol_from_the_account_page(
    new_context: NewContext, mfa_server: LiveServer, make_account: Callable[..., Account]
) -> None:
    account = make_account("observer")
    context, _ = new_context(live=mfa_server)
    page = context.new_page()
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{mfa_server.url}/dashboard")
    page.goto("/account")
    with page.expect_navigation():
        page.get_by_role("link", name="Set up an authenticator app").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    submit(page, "Confirm the authenticator app")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    context.clear_cookies()
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{mfa_server.url}/auth/second-factor?next=%2Fdashboard")
