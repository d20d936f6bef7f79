"""Fixtures of the browser tests: one live portal, Debian's Chromium through Playwright, watched contexts.

Every browser context a test opens is watched: at the end of the test, all its requests must have gone to
the live server and its consoles must show no Content-Security-Policy violation and no script error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth import service
from tests.factories import PASSWORD, create_account
from tests.support.browser import AXE_SCRIPT, CHROMIUM, CHROMIUM_ARGS, Account, Watch
from tests.support.live import LiveServer


@pytest.fixture(scope="session")
def server(live_server: LiveServer) -> LiveServer:
    """The live portal of the whole browser suite (one `python -m app serve` on the live database)."""
    return live_server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian, kept on the loopback interface."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def new_context(browser: Browser, server: LiveServer) -> Iterator[Callable[..., tuple[BrowserContext, Watch]]]:
    """Opens watched browser contexts on the live server; closes and checks them after the test."""
    opened: list[tuple[BrowserContext, Watch]] = []

    def open_context(live: LiveServer | None = None, **options: Any) -> tuple[BrowserContext, Watch]:
        """A context on the shared live server, or on `live` (one started under another option)."""
        # A documentation address per context, passed through the portal's trusted local proxy header, keeps
        # this test's failed sign-ins from counting against other tests' (the limit is per address).
        address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
        base_url = (live or server).url
        settings: dict[str, Any] = {
            "base_url": base_url,
            "locale": "en-GB",
            "extra_http_headers": {"X-Forwarded-For": address},
        }
        context = browser.new_context(**{**settings, **options})
        context.set_default_timeout(10_000)
        watch = Watch(base_url)
        watch.attach(context)
        opened.append((context, watch))
        return context, watch

    yield open_context
    for context, _ in opened:
        context.close()
    for _, watch in opened:
        watch.check()


@pytest.fixture
def page(new_context: Callable[..., tuple[BrowserContext, Watch]]) -> Page:
    """A page in a fresh, watched context (no cookies, English)."""
    context, _ = new_context()
    return context.new_page()


@pytest.fixture
def make_account(live_engine: Engine) -> Callable[..., Account]:
    """Creates an account with a unique email address in the live database (or the one of `engine`); its owner has
    confirmed their time zone and language at an earlier sign-in unless `confirmed` is False (a first sign-in)."""

    def make(
        role: str = "observer", *, confirmed: bool = True, engine: Engine | None = None, **overrides: Any
    ) -> Account:
        tag = uuid.uuid4().hex[:10]
        fields: dict[str, Any] = {
            "email": f"browser-{tag}@example.org",
            "display_name": f"Tester {tag}",
            "role": role,
            "password": PASSWORD,
        }
        fields.update(overrides)
        with Session(engine or live_engine, expire_on_commit=False) as db:
            user = create_account(db, **fields)
            if confirmed:
                service.confirm_preferences(db, user=user, language=user.language, time_zone=user.time_zone)
            db.commit()
            assert user.id is not None
            return Account(id=user.id, email=user.email, display_name=user.display_name, password=fields["password"])

    return make
