"""Governance fixtures: the portal started under a chosen option, the people who use it, and small helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from bs4 import Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import service as accounts
from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.config import Settings, get_settings
from app.db import get_session
from app.governance import service as governance
from app.governance.models import Body
from app.main import create_app
from app.members.models import MemberState
from tests.factories import make_user, soup, state

OPTIONS = ("diplomatic", "operational", "informal", "adhoc")
REGIONAL = {"pif", "fsrs", "spdmm", "picp", "lcm"}
NETWORK = {"sme", "pif-subcommittee", "spdmm-group", "picp-group", "adhoc-network"}
PROFILE_BODIES = {
    "diplomatic": {"sme", "pif-subcommittee"},
    "operational": {"sme", "spdmm-group", "picp-group"},
    "informal": {"sme"},
    "adhoc": {"sme", "adhoc-network"},
}
PROFILE_GROUPS = {
    "diplomatic": {"pif-subcommittee": ("military", "police", "joint")},
    "operational": {"spdmm-group": ("military",), "picp-group": ("police",)},
    "informal": {},
    "adhoc": {"adhoc-network": ("military", "police", "joint")},
}


def settings_for(option: str) -> Settings:
    """The test configuration with another governance option, for calling services directly."""
    return get_settings().model_copy(update={"governance_option": option})


def body(session: Session, key: str) -> Body:
    found = session.exec(select(Body).where(Body.key == key)).first()
    assert found is not None, f"seeded body {key} missing"
    return found


def states(session: Session, *codes: str) -> list[MemberState]:
    return [state(session, code) for code in codes]


def alert(html: str) -> str:
    """The error message a page shows in its alert box ('' when none)."""
    box = soup(html).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


def links(scope: str | Tag, prefix: str) -> set[str]:
    """What follows `prefix` in every link starting with it, in a page's main part or in one element."""
    if isinstance(scope, str):
        page = soup(scope)
        scope = page.find("main") or page
    return {str(a["href"])[len(prefix) :] for a in scope.find_all("a", href=True) if str(a["href"]).startswith(prefix)}


@dataclass
class People:
    admin: User
    coordinator: User
    fiji: User
    samoa: User


@pytest.fixture
def people(session: Session) -> People:
    """An admin, a coordinator, and focal points of Fiji and Samoa."""
    fiji, samoa = states(session, "FJ", "WS")
    return People(
        admin=make_user(session, role="admin", display_name="Ana Admin", password=None),
        coordinator=make_user(session, role="coordinator", display_name="Colin Coordinator", password=None),
        fiji=make_user(session, role="focal_point", display_name="Fiji Focal", member_state_id=fiji.id, password=None),
        samoa=make_user(
            session, role="focal_point", display_name="Samoa Focal", member_state_id=samoa.id, password=None
        ),
    )


@dataclass
class Portal:
    """The portal as an operator runs it: the option set in the configuration, recorded at start, the app
    built for it. Each user keeps one sign-in across restarts, like a browser keeping its cookie."""

    session: Session
    patch: pytest.MonkeyPatch
    app: FastAPI | None = None
    tokens: dict[int, str] = field(default_factory=dict)
    clients: list[TestClient] = field(default_factory=list)

    def run(self, option: str) -> Settings:
        self.patch.setenv("PRCN_GOVERNANCE_OPTION", option)
        get_settings.cache_clear()
        settings = get_settings()
        governance.record_option(self.session, settings.governance_option)
        self.app = create_app()
        self.app.dependency_overrides[get_session] = lambda: self.session
        return settings

    def client(self, user: User | None = None) -> TestClient:
        """A browser on the app now running, signed in as `user` (anonymous when None)."""
        assert self.app is not None, "run(option) first"
        browser = TestClient(self.app, base_url="http://testserver", follow_redirects=False)
        self.clients.append(browser)
        if user is not None:
            if user.id not in self.tokens:
                self.tokens[user.id] = accounts.start_session(  # type: ignore[index]
                    self.session, user=user, address="testclient", user_agent="pytest"
                )
            browser.cookies.set(SESSION_COOKIE, self.tokens[user.id])  # type: ignore[index]
        return browser

    def close(self) -> None:
        for browser in self.clients:
            browser.close()
        if self.app is not None:
            self.app.dependency_overrides.clear()


@pytest.fixture
def portal(session: Session) -> Iterator[Portal]:
    """Start it with `portal.run(option)`; the configuration is restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        running = Portal(session, patch)
        try:
            yield running
        finally:
            running.close()
    get_settings.cache_clear()
