"""The portal as an operator runs it under a chosen governance option, with clients signed in as its users."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as accounts
from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.governance import service as governance
from app.main import create_app


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
