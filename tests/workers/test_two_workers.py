"""No state in the process: two portal processes on one PostgreSQL database act as one portal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.deps import SESSION_COOKIE
from app.auth.models import User
from app.core.config import get_settings
from tests.factories import PASSWORD, csrf_token, make_user, soup
from tests.support.live import LiveServer

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def workers(live_env: dict[str, str]) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two `python -m app serve` processes sharing the live database and the secret key."""
    a = LiveServer(live_env).start()
    try:
        b = LiveServer(live_env).start()
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        b.stop()
        a.stop()


@pytest.fixture
def address() -> str:
    """The visitor's address as a trusted local proxy reports it, so sign-in failures are this test's own."""
    return f"192.0.2.{uuid.uuid4().int % 250 + 1}"


def browser(server: LiveServer, address: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=30, headers={"X-Forwarded-For": address})


def account(live_engine: Engine) -> User:
    with Session(live_engine, expire_on_commit=False) as db:
        return make_user(db, role="observer", email=f"worker-{uuid.uuid4().hex[:12]}@example.org")


def sign_in_form(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/auth/sign-in")
    assert page.status_code == 200
    return client.post(
        "/auth/sign-in",
        data={"email": email, "password": password, "next": "/account", "csrf_token": csrf_token(page.text)},
    )


def test_a_session_opened_on_one_worker_works_on_the_other(
    workers: tuple[LiveServer, LiveServer], live_engine: Engine, address: str
) -> None:
    a, b = workers
    user = account(live_engine)
    with browser(a, address) as on_a, browser(b, address) as on_b:
        signed_in = sign_in_form(on_a, user.email, PASSWORD)
        assert signed_in.status_code == 303, signed_in.text
        token = on_a.cookies[SESSION_COOKIE]
        on_b.cookies.set(SESSION_COOKIE, token)

        page_b = on_b.get("/account")
        assert page_b.status_code == 200
        assert user.email in [dd.get_text(strip=True) for dd in soup(page_b.text).select("dl.facts dd")]

        form_from_a = on_a.get("/account")
        assert form_from_a.status_code == 200
        saved = on_b.post(
            "/account/preferences",
            data={"language": "fr", "time_zone": "Pacific/Noumea", "csrf_token": csrf_token(form_from_a.text)},
        )
        assert saved.status_code == 303, saved.text
        with Session(live_engine) as db:
            stored = db.exec(select(User).where(User.email == user.email)).one()
        assert (stored.language, stored.time_zone) == ("fr", "Pacific/Noumea")
        assert soup(on_a.get("/account").text).html["lang"] == "fr"

        signed_out = on_b.post("/auth/sign-out", data={"csrf_token": csrf_token(on_a.get("/account").text)})
        assert signed_out.status_code == 303
        assert on_a.cookies[SESSION_COOKIE] == token, "worker A's browser still sends the old cookie"
        after = on_a.get("/account")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/auth/sign-in")


def test_sign_in_failures_count_across_workers(
    workers: tuple[LiveServer, LiveServer], live_engine: Engine, address: str
) -> None:
    a, b = workers
    user = account(live_engine)
    limit = get_settings().max_failures_per_account  # the workers run with the same settings
    with browser(a, address) as on_a, browser(b, address) as on_b:
        for attempt in range(limit):
            client = on_a if attempt % 2 == 0 else on_b
            refused = sign_in_form(client, user.email, "not the password at all")
            assert refused.status_code == 400
            assert "Too many failed" not in refused.text

        for client in (on_b, on_a):
            locked = sign_in_form(client, user.email, PASSWORD)
            assert locked.status_code == 429
            message = soup(locked.text).select_one("[role=alert]")
            assert message is not None
            assert "Too many failed sign-in attempts" in message.get_text()
            assert SESSION_COOKIE not in client.cookies
