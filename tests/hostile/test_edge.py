"""What the portal refuses at its edge: oversized bodies, control characters, impossible ids and dates, and how it
answers while its database is unreachable; HEAD where GET is answered; headers that hold on every answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth.deps import SESSION_COOKIE
from app.auth.models import SignInFailure, User
from app.core.config import get_settings
from app.core.db import get_engine
from app.main import create_app
from tests.factories import PASSWORD, csrf_token, live_account, make_user, page_csrf, sign_in, soup
from tests.support.live import LiveServer

MB = 1024 * 1024


def alert(response) -> str:  # type: ignore[no-untyped-def]
    box = soup(response.text).find(attrs={"role": "alert"})
    return box.get_text(" ", strip=True) if box else ""


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(client) -> None:
    response = client.post(
        "/auth/sign-in",
        content=b"email=a%40example.org&password=" + b"x" * (3 * MB),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "larger than the portal accepts" in alert(response)
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_streamed_body_is_cut_off_at_the_limit(live_server: LiveServer) -> None:
    """300 MB sent in chunks, with no declared length, to the sign-in page of a real server."""
    sent = 0
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=30) as connection:
        connection.sendall(
            b"POST /auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        # Fields of half a megabyte each: a single field over one megabyte is refused by the form parser itself.
        field = b"f=" + b"x" * (MB // 2 - 3) + b"&"
        chunk = b"%x\r\n%s\r\n" % (len(field), field)
        try:
            for _ in range(600):
                connection.sendall(chunk)
                sent += len(field)
        except OSError:
            pass  # the server answered and closed the connection: it stopped reading
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent <= 32 * MB, f"{sent // MB} MB were taken before the refusal"


def test_an_upload_may_be_as_large_as_the_upload_limit_but_no_larger(client, session: Session) -> None:
    sign_in(client, session, make_user(session, role="coordinator"))
    token = page_csrf(client, "/library/new")
    limit = get_settings().upload_max_bytes
    over = client.post(
        "/library",
        data={"csrf_token": token, "title": "Big", "kind": "lesson_learned", "language": "en", "access": "members"},
        files={"file": ("big.txt", b"a" * (limit + 3 * MB), "text/plain")},
    )
    assert over.status_code == 413


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/members?subregion=%00", "control characters"),
        ("/members?subregion=poly%E2%80%A8nesia", "control characters"),
        ("/training?after=0001-01-01", "between the years 1900 and 2199"),
        ("/training?before=9999-12-31", "between the years 1900 and 2199"),
        ("/training?after=2027-02-30", "not a date in the calendar"),
        ("/meetings/find-time?series=99999999999999999999", "larger than any the portal keeps"),
        ("/training?page=" + "9" * 5000, "larger than any the portal keeps"),
        # Whole-number parsers take a sign, spaces and underscores: so does the check.
        ("/meetings/find-time?series=-99999999999999999999", "larger than any the portal keeps"),
        ("/meetings/find-time?series=%2B99999999999999999999", "larger than any the portal keeps"),
        ("/meetings/find-time?series=%209_223_372_036_854_775_808%20", "larger than any the portal keeps"),
    ],
)
def test_hostile_values_in_the_address_get_a_clear_answer(client, session: Session, path: str, message: str) -> None:
    sign_in(client, session, make_user(session, role="coordinator"))
    response = client.get(path)
    assert response.status_code == 400
    assert message in alert(response)


def test_a_digit_that_is_no_number_in_the_address_is_a_filter_like_any_other(client, session: Session) -> None:
    """A superscript two is a digit to Python but no decimal number: the catalogue shows its first page."""
    sign_in(client, session, make_user(session, role="coordinator"))
    response = client.get("/training", params={"page": "\u00b2"})
    assert response.status_code == 200
    assert soup(response.text).find("h1").get_text(strip=True) == "Training offers"


@pytest.mark.parametrize(
    "path", ["/meetings/99999999999999999999", "/training/18446744073709551616", "/needs/9223372036854775808"]
)
def test_an_id_beyond_any_row_is_a_page_that_does_not_exist(client, session: Session, path: str) -> None:
    sign_in(client, session, make_user(session, role="coordinator"))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("value", ["Nadi\x00", "Nadi\x1b[31m", "Nadi\u2028Suva", "Nadi\x7f"])
def test_control_characters_in_a_form_are_refused_and_change_nothing(client, session: Session, value: str) -> None:
    user = make_user(session, role="focal_point", password=PASSWORD)
    sign_in(client, session, user)
    entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
    response = client.post(
        "/account/preferences",
        data={"csrf_token": page_csrf(client, "/account"), "language": "fr", "time_zone": value},
    )
    assert response.status_code == 400
    assert "control characters" in alert(response)
    session.refresh(user)
    assert user.language == "en"
    assert session.exec(select(func.count()).select_from(AuditEntry)).one() == entries


def test_a_number_beyond_any_row_with_a_sign_in_a_form_is_refused_and_changes_nothing(client, session: Session) -> None:
    """A state or observer sent as a negative id too long for the database gets the message, not a server error."""
    user = make_user(session, role="focal_point", password=PASSWORD)
    sign_in(client, session, user)
    entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
    response = client.post(
        "/account/preferences",
        data={"csrf_token": page_csrf(client, "/account"), "language": "fr", "time_zone": "-" + "9" * 20},
    )
    assert response.status_code == 400
    assert "larger than any the portal keeps" in alert(response)
    session.refresh(user)
    assert user.language == "en"
    assert session.exec(select(func.count()).select_from(AuditEntry)).one() == entries


def test_head_is_answered_wherever_get_is(client) -> None:
    for path in ("/healthz", "/", "/auth/sign-in"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""
    assert client.head("/no-such-page").status_code == 404


def test_every_answer_says_which_browser_features_no_page_may_use(client) -> None:
    for path in ("/", "/no-such-page", "/healthz"):
        policy = client.get(path).headers["permissions-policy"]
        assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


@pytest.fixture
def portal_over_https(monkeypatch: pytest.MonkeyPatch, engine) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRCN_BASE_URL", "https://portal.example.org")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(), base_url="https://portal.example.org") as browser:
            yield browser
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_over_https_cookies_take_the_host_prefix(portal_over_https: TestClient) -> None:
    page = portal_over_https.get("/auth/sign-in")
    cookies = page.headers.get_list("set-cookie")
    assert cookies and all(c.startswith("__Host-") for c in cookies), cookies
    assert all("Secure" in c and "Path=/" in c and "Domain" not in c for c in cookies)
    assert csrf_token(page.text)


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch, engine) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The portal started while its database does not answer (nothing listens on the port)."""
    monkeypatch.setenv("PRCN_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        with TestClient(create_app(), base_url="http://testserver") as browser:
            yield browser
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_while_the_database_is_down_health_says_503_and_pages_ask_to_try_again(database_down: TestClient) -> None:
    health = database_down.get("/healthz")
    assert (health.status_code, health.text) == (503, "database unreachable")
    assert health.headers["retry-after"] == "30"
    page = database_down.get("/", headers={"Accept-Language": "fr"})
    assert page.status_code == 503
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert soup(page.text).find("h1").get_text() != "Something went wrong"
    assert "base de données" in alert(page)


@pytest.fixture
def refused_zone(live_engine: Engine) -> Iterator[str]:
    """A time zone the live database refuses to store for any account (a trigger raising a unique violation), as it
    refuses a change another request made first at the same moment."""
    zone = "Pacific/Pitcairn"
    with live_engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_zone BEFORE UPDATE OF time_zone ON user_account "
                f"WHEN NEW.time_zone = '{zone}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse_zone() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE unique_violation USING MESSAGE = 'refused'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_zone BEFORE UPDATE OF time_zone ON user_account FOR EACH ROW "
                f"WHEN (NEW.time_zone = '{zone}') EXECUTE FUNCTION refuse_zone()"
            )
    try:
        yield zone
    finally:
        with live_engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("DROP TRIGGER refuse_zone")
            else:
                connection.exec_driver_sql("DROP TRIGGER refuse_zone ON user_account")
                connection.exec_driver_sql("DROP FUNCTION refuse_zone()")


def test_a_change_the_database_refuses_gets_the_portals_page_in_the_users_language(
    live_server: LiveServer, live_engine: Engine, refused_zone: str
) -> None:
    """The refusal undoes what the request had read of the signed-in account: the page must still be the portal's
    own, with its message, not a bare server error, and still show the person as signed in."""
    user, token = live_account(live_engine, role="observer", language="fr")
    with httpx.Client(base_url=live_server.url, cookies={SESSION_COOKIE: token}, timeout=15) as browser:
        form = browser.get("/account")
        answer = browser.post(
            "/account/preferences",
            data={"language": "fr", "time_zone": refused_zone, "csrf_token": csrf_token(form.text)},
        )

    assert answer.status_code == 409, answer.text[:300]
    assert "Quelqu’un d’autre a modifié ceci au même moment" in alert(answer), answer.text[:500]
    header = soup(answer.text).select_one("header")
    assert header is not None
    assert [button.get_text(strip=True) for button in header.select("form[action='/auth/sign-out'] button")] == [
        "Se déconnecter"
    ]
    assert not header.select("a[href^='/auth/sign-in']")
    with Session(live_engine) as db:
        stored = db.get(User, user.id)
        assert stored is not None and stored.time_zone == user.time_zone != refused_zone


def test_no_secret_of_an_address_reaches_the_access_log(live_server: LiveServer) -> None:
    secrets_sent = {
        "/auth/link/LinkSecret123abc": "LinkSecret123abc",
        "/auth/reset/ResetSecret456def": "ResetSecret456def",
        "/invitations/InviteSecret789": "InviteSecret789",
        "/calendar/FeedSecret000.ics": "FeedSecret000",
        "/training/calendar/OfferFeedSecret.ics": "OfferFeedSecret",
        "/auth/sso/callback?code=CodeSecret42&state=StateSecret42": "CodeSecret42",
    }
    for path in secrets_sent:
        httpx.get(live_server.url + path, timeout=30)
    httpx.get(live_server.url + "/members?subregion=polynesia", timeout=30)
    deadline = time.monotonic() + 10
    while "subregion=polynesia" not in live_server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    logged = live_server.log.read_text()
    assert "/auth/link/[secret]" in logged and "subregion=polynesia" in logged, logged[-2000:]
    for secret in [*secrets_sent.values(), "StateSecret42"]:
        assert secret not in logged, f"{secret} is in the access log"


def failed_sign_in_from(server: LiveServer, claimed: str) -> None:
    token_page = httpx.get(server.url + "/auth/sign-in", timeout=30)
    httpx.post(
        server.url + "/auth/sign-in",
        data={"email": "nobody@example.org", "password": "wrong password", "csrf_token": csrf_token(token_page.text)},
        cookies=token_page.cookies,
        headers={"X-Forwarded-For": claimed},
        timeout=30,
    )


def counted_addresses(live_engine: Engine) -> set[str]:
    with Session(live_engine) as db:
        return set(db.exec(select(SignInFailure.key).where(SignInFailure.kind == "address")).all())


@pytest.mark.parametrize(
    ("trusted", "claimed", "believed"), [("", "203.0.113.77", False), ("127.0.0.1", "203.0.113.78", True)]
)
def test_a_forwarded_address_is_believed_only_from_a_configured_proxy(
    live_env: dict[str, str], live_engine: Engine, trusted: str, claimed: str, believed: bool
) -> None:
    server = LiveServer({**live_env, "PRCN_TRUSTED_PROXIES": trusted}).start()
    try:
        failed_sign_in_from(server, claimed)
    finally:
        server.stop()
    addresses = counted_addresses(live_engine)
    assert (claimed in addresses) == believed, addresses
    assert believed or "127.0.0.1" in addresses, "the failure was counted against the connecting address"
