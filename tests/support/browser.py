"""Helpers for the browser tests: Chromium's launch settings, a traffic watch, sign-in, axe-core and outbox reading."""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, Request, Response, Route
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import User
from app.outbox.models import OutboxMessage
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
BLOCKING_IMPACTS = ("serious", "critical")
CSRF_MESSAGE = {
    "en": "This form has expired or did not come from this portal",
    "fr": "Ce formulaire a expiré ou ne provient pas de ce portail",
}


@dataclass
class Account:
    """A user arranged in the live database, with the password to sign in."""

    id: int
    email: str
    display_name: str
    password: str = PASSWORD


@dataclass
class Watch:
    """What the pages of one browser context requested and what their consoles reported."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.page_errors.append(str(error.error)))

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]

    def check(self) -> None:
        """Fails when a request left the live server or a page broke its policy or threw."""
        foreign = [url for url in self.requests if not url.startswith(self.base_url + "/")]
        assert not foreign, f"requests that did not go to the live server: {foreign}"
        assert not self.csp_violations(), f"Content-Security-Policy violations: {self.csp_violations()}"
        assert not self.page_errors, f"script errors on the pages: {self.page_errors}"


def stored_user(live_engine: Engine, account: Account) -> User:
    """The account's row as the live database has it now."""
    with Session(live_engine, expire_on_commit=False) as db:
        user = db.get(User, account.id)
        assert user is not None
        return user


def emails_to(engine: Engine, email: str) -> list[OutboxMessage]:
    """Every email queued for an address in a live database, oldest first."""
    with Session(engine) as db:
        return list(
            db.exec(select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(col(OutboxMessage.id))).all()
        )


def reset_link(live_engine: Engine, account: Account, base_url: str) -> str:
    """The link of the newest password-reset email queued for the account."""
    with Session(live_engine) as db:
        message = db.exec(
            select(OutboxMessage).where(OutboxMessage.recipient == account.email).order_by(col(OutboxMessage.id).desc())
        ).first()
        assert message is not None, f"no email queued for {account.email}"
        found = re.search(re.escape(base_url) + r"/auth/reset/\S+", message.body)
        assert found, f"no reset link in the email: {message.body!r}"
        return found.group(0)


SIGN_IN_WORDS = {
    "en": {"email": "Email address", "password": "Password", "button": "Sign in"},
    "fr": {"email": "Adresse électronique", "password": "Mot de passe", "button": "Se connecter"},
}


def sign_in(page: Page, email: str, password: str, *, language: str = "en") -> Response | None:
    """Fills and submits the sign-in form (opened first if the page is not on it); returns the final response."""
    words = SIGN_IN_WORDS[language]
    if not page.url.split("?")[0].endswith("/auth/sign-in"):
        page.goto("/auth/sign-in")
    page.get_by_label(words["email"], exact=True).fill(email)
    page.get_by_label(words["password"], exact=True).fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("main").get_by_role("button", name=words["button"], exact=True).click()
    return navigation.value


def submit(page: Page, name: str, *, within: str = "main") -> Response | None:
    """Clicks a button (in <main> or the <header>) and waits for the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator(within).get_by_role("button", name=name, exact=True).click()
    return navigation.value


AXE_RUN = """async () => typeof window.axe === 'undefined'
    ? null : (await axe.run(document, {resultTypes: ['violations']})).violations"""


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Runs axe-core in the page (through the DevTools protocol, which the page's CSP does not govern)."""
    # One round trip when axe-core is already in the page, and only the violations sent back.
    found = page.evaluate(AXE_RUN)
    if found is None:
        page.evaluate(axe_source)
        found = page.evaluate(AXE_RUN)
    return list(found)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')!r}")
    return "\n".join(lines)


def assert_accessible(page: Page, axe_source: str) -> None:
    """Fails on any serious or critical axe-core violation on the page as it is now."""
    page.wait_for_load_state("load")
    blocking = [v for v in axe_violations(page, axe_source) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"accessibility violations on {page.url}:\n{describe(blocking)}"


class HeldAnswers:
    """Holds the page's htmx requests to one path until the test lets them through, in the order it chooses.

    A slow satellite link answers in any order; holding the answers makes that order the test's decision, so a
    race between an older and a newer request is played out the same way on every run.
    """

    def __init__(self, page: Page, path: str) -> None:
        self.page = page
        self.held: list[Route] = []
        page.route(lambda url: url.split("?")[0].endswith(path), self._arrive)

    def _arrive(self, route: Route) -> None:
        if route.request.headers.get("hx-request") == "true":
            self.held.append(route)
        else:
            route.continue_()

    def wait_for(self, count: int, seconds: float = 10) -> None:
        """Waits until `count` requests have been held."""
        deadline = time.monotonic() + seconds
        while len(self.held) < count:
            assert time.monotonic() < deadline, f"{len(self.held)} of {count} requests arrived"
            self.page.wait_for_timeout(10)

    def release_newest_first(self, seconds: float = 10) -> None:
        """Lets the held answers through, the newest first, then any request that follows them, until the page has
        no request in flight."""
        deadline = time.monotonic() + seconds
        while True:
            assert time.monotonic() < deadline, "the page's requests did not settle"
            if self.held:
                route = self.held.pop()
                # A request the page has aborted since cannot be answered any more.
                with contextlib.suppress(Error):
                    route.continue_()
                continue
            if not self.page.evaluate("() => document.querySelector('.htmx-request') !== null"):
                self.page.wait_for_timeout(50)
                if not self.held and not self.page.evaluate("() => document.querySelector('.htmx-request') !== null"):
                    return
            self.page.wait_for_timeout(10)
