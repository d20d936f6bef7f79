"""Passkeys in Chromium, with its virtual authenticator (DevTools protocol): a coordinator, made to set up a second
factor, adds a passkey named "office laptop", signs in again with password and passkey, then with the passkey
alone; with the authenticator replaced by an empty one, the passkey sign-in is refused with a clear message.

WebAuthn refuses IP addresses as relying-party ids, so this portal is reached as http://localhost:PORT and its base
URL says so."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from tests.support.browser import Account, Watch, assert_accessible, sign_in
from tests.support.live import LiveServer, free_port

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple[BrowserContext, Watch]]
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


@pytest.fixture(scope="module")
def named_server(live_env: dict[str, str]) -> Iterator[LiveServer]:
    """A portal reached by name, where admins and coordinators must use a second factor."""
    port = free_port()
    url = f"http://localhost:{port}"
    live = LiveServer({**live_env, "PRCN_MFA_REQUIRED_ROLES": "admin,coordinator", "PRCN_BASE_URL": url}, port=port)
    live.url = url
    live.start()
    try:
        yield live
    finally:
        live.stop()


def new_authenticator(cdp: CDPSession) -> str:
    answer: dict[str, Any] = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return str(answer["authenticatorId"])


def test_coordinator_adds_a_passkey_and_signs_in_with_it(
    new_context: NewContext, named_server: LiveServer, make_account: Callable[..., Account], axe_source: str
) -> None:
    account = make_account("coordinator")
    context, _ = new_context(live=named_server)
    page: Page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = new_authenticator(cdp)

    # After the password, the coordinator must set up a second factor: a passkey will do.
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{named_server.url}/account/second-factor?next=%2Fdashboard")
    passkeys = page.get_by_role("region", name="Passkeys")
    expect(passkeys.get_by_role("button", name="Add a passkey")).to_be_visible()
    expect(passkeys.get_by_text("Adding a passkey needs JavaScript")).to_be_hidden()
    assert_accessible(page, axe_source)
    passkeys.get_by_role("button", name="Add a passkey").click()
    expect(passkeys.get_by_role("alert")).to_contain_text("Give the passkey a name")
    passkeys.get_by_label("Name of the passkey").fill("office laptop")
    with page.expect_navigation():
        passkeys.get_by_role("button", name="Add a passkey").click()
    expect(page).to_have_url(f"{named_server.url}/dashboard")
    page.goto("/account/second-factor")
    row = page.get_by_role("row").filter(has_text="office laptop")
    expect(row).to_contain_text("Never")
    assert_accessible(page, axe_source)

    # Password, then the passkey: the page offers it (no authenticator app was set up, so no code is asked).
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/sign-in?notice=signed-out")
    sign_in(page, account.email, account.password)
    expect(page).to_have_url(f"{named_server.url}/auth/second-factor?next=%2Fdashboard")
    expect(page.get_by_label("Code", exact=True)).to_have_count(0)
    assert_accessible(page, axe_source)
    with page.expect_navigation():
        page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{named_server.url}/dashboard")
    page.goto("/account/second-factor")
    expect(page.get_by_role("row").filter(has_text="office laptop")).not_to_contain_text("Never")

    # Without a password: the discoverable passkey signs in completely.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/sign-in?notice=signed-out")
    assert_accessible(page, axe_source)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{named_server.url}/dashboard")

    # The authenticator replaced by an empty one: no passkey is used, the page says so, nobody is signed in.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/sign-in?notice=signed-out")
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    replacement = new_authenticator(cdp)
    main = page.get_by_role("main")
    main.get_by_role("button", name="Sign in with a passkey").click()
    expect(main.get_by_role("alert")).to_contain_text("No passkey was used", timeout=30_000)

    # A device that claims the same credential with a key of its own: the portal refuses its signature.
    other_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cdp.send(
        "WebAuthn.addCredential",
        {
            "authenticatorId": replacement,
            "credential": {
                **{key: credential[key] for key in ("credentialId", "rpId", "userHandle")},
                "isResidentCredential": True,
                "privateKey": base64.b64encode(other_key).decode(),
                "signCount": credential["signCount"] + 1,
            },
        },
    )
    main.get_by_role("button", name="Sign in with a passkey").click()
    expect(main.get_by_role("alert")).to_contain_text("This passkey was not accepted")
    page.goto("/dashboard")
    expect(page).to_have_url(f"{named_server.url}/auth/sign-in?next=/dashboard")


def test_without_javascript_the_page_says_so_and_offers_the_other_ways(
    new_context: NewContext, named_server: LiveServer, make_account: Callable[..., Account]
) -> None:
    account = make_account("coordinator")
    context, _ = new_context(live=named_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/auth/sign-in")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    expect(page.get_by_role("main")).to_contain_text("Passkeys need JavaScript")
    sign_in(page, account.email, account.password)
    expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()
    expect(page.get_by_role("main")).to_contain_text("Adding a passkey needs JavaScript")
    expect(page.get_by_role("button", name="Confirm the authenticator app")).to_be_visible()
