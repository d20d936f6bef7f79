"""Single sign-on through a real OpenID Connect provider process and a live portal, as a browser would do it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth import service
from app.auth.deps import LANGUAGE_COOKIE, SESSION_COOKIE
from app.auth.models import SsoIdentity, User, UserSession
from app.core import clock
from tests.factories import PASSWORD, csrf_token, soup
from tests.support.live import LiveServer
from tests.support.oidc import OidcProvider

CLIENT_ID = "prcn-portal"
LABEL = "Pacific Identity"

UNVERIFIED = {
    "en": "Your identity provider has not verified your email address, so it cannot be linked to an account "
    "here. Sign in with your password or ask a coordinator.",
    "fr": "Votre fournisseur d’identité n’a pas vérifié votre adresse électronique\u00a0: elle ne peut donc pas "
    "être liée à un compte de ce portail. Connectez-vous avec votre mot de passe ou adressez-vous à un "
    "coordinateur.",
}
UNKNOWN = {
    "en": "No account here uses the email address of your identity provider. Ask a coordinator to invite you.",
    "fr": "Aucun compte de ce portail n’utilise l’adresse électronique de votre fournisseur d’identité. "
    "Demandez à un coordinateur de vous inviter.",
}
FAILED = {
    "en": "Single sign-on did not succeed. Try again, or sign in with your password.",
    "fr": "L’authentification unique a échoué. Réessayez, ou connectez-vous avec votre mot de passe.",
}
DEACTIVATED = "This account is deactivated."


# The provider, the portals and the visitor's HTTP client


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The OpenID Connect provider process for this module's portal."""
    started = OidcProvider(tmp_path_factory.mktemp("oidc")).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def sso_server(live_env: dict[str, str], provider: OidcProvider) -> Iterator[LiveServer]:
    """A live portal that offers single sign-on through `provider`."""
    live = LiveServer(
        {
            **live_env,
            "PRCN_OIDC_ISSUER": provider.url,
            "PRCN_OIDC_CLIENT_ID": CLIENT_ID,
            "PRCN_OIDC_CLIENT_SECRET": "client-secret-of-the-portal",
            "PRCN_OIDC_LABEL": LABEL,
        }
    ).start()
    try:
        yield live
    finally:
        live.stop()


def visitor_client(server: LiveServer, **headers: str) -> httpx.Client:
    """A client that keeps cookies and follows redirects between portal and provider, like a browser."""
    return httpx.Client(
        base_url=server.url, follow_redirects=True, timeout=15, headers={"Accept-Language": "en", **headers}
    )


@pytest.fixture
def visitor(sso_server: LiveServer) -> Iterator[httpx.Client]:
    """A new visitor of the portal with single sign-on: no cookies yet, English."""
    with visitor_client(sso_server) as client:
        yield client


# Arranging accounts and reading what the portal stored


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_account(engine: Engine, *, password: str | None = None, active: bool = True) -> User:
    """An observer account with a unique email address in the live portal's database, whose owner has confirmed
    their time zone and language at an earlier sign-in."""
    tag = unique("sso")
    with Session(engine, expire_on_commit=False) as db:
        user = service.create_user(
            db,
            actor_id=None,
            email=f"{tag}@example.org",
            display_name=f"Member {tag}",
            role="observer",
            password=password,
        )
        user.is_active = active
        user.preferences_confirmed_at = clock.now()
        db.add(user)
        db.commit()
        return user


def links_of(engine: Engine, issuer: str, subject: str) -> list[SsoIdentity]:
    with Session(engine) as db:
        return list(
            db.exec(select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)).all()
        )


def sessions_of(engine: Engine, user: User) -> list[UserSession]:
    with Session(engine) as db:
        return list(db.exec(select(UserSession).where(UserSession.user_id == user.id)).all())


def session_by_token(engine: Engine, token: str) -> UserSession | None:
    with Session(engine) as db:
        return db.exec(select(UserSession).where(UserSession.token_hash == service.digest(token))).first()


def accounts_with_email(engine: Engine, email: str) -> list[User]:
    with Session(engine) as db:
        return list(db.exec(select(User).where(col(User.email) == email)).all())


# Reading pages


def session_cookie(client: httpx.Client) -> str | None:
    return client.cookies.get(SESSION_COOKIE)


def error_text(response: httpx.Response) -> str:
    found = soup(response.text).find(class_="error")
    assert found is not None, f"no error message on the page ({response.status_code})"
    return found.get_text(" ", strip=True)


def account_facts(response: httpx.Response) -> dict[str, str]:
    """The name, email address and role listed on the /account page."""
    facts = soup(response.text).find("dl")
    assert facts is not None, f"not the account page: {response.url}"
    terms = [dt.get_text(strip=True) for dt in facts.find_all("dt")]
    values = [dd.get_text(strip=True) for dd in facts.find_all("dd")]
    return dict(zip(terms, values, strict=True))


def sso_button(response: httpx.Response) -> Any:
    return soup(response.text).find("a", href=re.compile(r"^/auth/sso/start"))


def is_signed_out(server: LiveServer, token: str | None) -> bool:
    """Whether a browser holding only this session cookie is sent to the sign-in page by /account."""
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=15) as fresh:
        if token is not None:
            fresh.cookies.set(SESSION_COOKIE, token)
        response = fresh.get("/account")
    return response.status_code == 303 and response.headers["location"].startswith("/auth/sign-in")


# Driving the flow


def sign_on(client: httpx.Client, next: str = "/account") -> httpx.Response:
    """Starts single sign-on and follows every redirect through the provider and back to the portal."""
    return client.get("/auth/sso/start", params={"next": next})


def callback_url(client: httpx.Client, next: str = "/account") -> str:
    """Goes to the provider and stops at the address it sends the browser back to (code and state)."""
    start = client.get("/auth/sso/start", params={"next": next}, follow_redirects=False)
    assert start.status_code == 302, start.text
    back = client.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert location.startswith(f"{client.base_url}/auth/sso/callback?"), location
    return str(location)


def with_state(url: str, state: str | None) -> str:
    """The callback address with its state replaced, or removed when `state` is None."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.pop("state")
    if state is not None:
        query["state"] = state
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in_with_password(client: httpx.Client, user: User) -> str:
    page = client.get("/auth/sign-in")
    response = client.post(
        "/auth/sign-in",
        data={"email": user.email, "password": PASSWORD, "next": "/account", "csrf_token": csrf_token(page.text)},
    )
    assert account_facts(response)["Email address"] == user.email
    token = session_cookie(client)
    assert token is not None
    return token


# Signing in


def test_sso_button_on_the_sign_in_page_signs_in_the_account_with_the_verified_email(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    user = make_account(live_engine)
    subject = unique("subject")
    provider.identify(subject=subject, email=user.email)

    sign_in_page = visitor.get("/account")
    assert sign_in_page.url.path == "/auth/sign-in"
    button = sso_button(sign_in_page)
    assert button is not None, "no single sign-on button"
    response = visitor.get(button["href"])

    assert response.status_code == 200
    assert response.url == f"{sso_server.url}/account"
    assert any(str(step.url).startswith(f"{provider.url}/authorize?") for step in response.history), (
        "the flow did not go through the provider"
    )
    facts = account_facts(response)
    assert facts["Email address"] == user.email
    assert facts["Name"] == user.display_name
    token = session_cookie(visitor)
    assert token is not None
    opened = session_by_token(live_engine, token)
    assert opened is not None and opened.user_id == user.id and opened.ended_at is None
    links = links_of(live_engine, provider.url, subject)
    assert [link.user_id for link in links] == [user.id]


def test_a_linked_identity_signs_in_the_same_account_after_its_email_changes(
    sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    user = make_account(live_engine)
    subject = unique("subject")
    provider.identify(subject=subject, email=user.email)
    with visitor_client(sso_server) as first:
        assert account_facts(sign_on(first))["Email address"] == user.email

    provider.identify(subject=subject, email=f"{unique('renamed')}@example.org", email_verified=False)
    with visitor_client(sso_server) as second:
        response = sign_on(second)

    assert response.status_code == 200
    assert account_facts(response)["Email address"] == user.email
    assert [link.user_id for link in links_of(live_engine, provider.url, subject)] == [user.id]
    assert len([s for s in sessions_of(live_engine, user) if s.ended_at is None]) == 2


def test_sign_ons_that_come_back_from_the_provider_at_the_same_moment_all_sign_in(
    sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    """Each return from the provider writes (a session, the audit entry) although it is a GET: on SQLite none may
    find the database locked by another. The account is linked by an earlier sign-on, as on any later day."""
    user = make_account(live_engine)
    provider.identify(subject=unique("subject"), email=user.email)
    with visitor_client(sso_server) as first:
        assert account_facts(sign_on(first))["Email address"] == user.email
    visitors = [visitor_client(sso_server) for _ in range(6)]
    try:
        returns = [callback_url(visitor) for visitor in visitors]
        with ThreadPoolExecutor(len(visitors)) as pool:
            responses = list(pool.map(lambda visitor, url: visitor.get(url), visitors, returns))
    finally:
        for visitor in visitors:
            visitor.close()

    assert [response.status_code for response in responses] == [200] * len(visitors)
    assert {account_facts(response)["Email address"] for response in responses} == {user.email}
    assert len([s for s in sessions_of(live_engine, user) if s.ended_at is None]) == 1 + len(visitors)


def test_a_linked_identity_keeps_its_account_when_the_provider_reports_another_accounts_email(
    sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    linked, other = make_account(live_engine), make_account(live_engine)
    subject = unique("subject")
    provider.identify(subject=subject, email=linked.email)
    with visitor_client(sso_server) as first:
        sign_on(first)

    provider.identify(subject=subject, email=other.email)
    with visitor_client(sso_server) as second:
        response = sign_on(second)

    assert account_facts(response)["Email address"] == linked.email
    assert sessions_of(live_engine, other) == []
    assert links_of(live_engine, provider.url, subject)[0].user_id == linked.id


def test_after_sso_sign_in_the_portal_stays_on_its_own_pages_even_if_next_names_another_site(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    user = make_account(live_engine)
    provider.identify(subject=unique("subject"), email=user.email)

    response = sign_on(visitor, next="https://attacker.example/steal")

    assert response.status_code == 200
    assert response.url == f"{sso_server.url}/dashboard"
    assert session_cookie(visitor) is not None


# Refusals


@pytest.mark.parametrize("email_verified", [False, None], ids=["verified-false", "claim-absent"])
def test_an_unverified_email_is_refused_with_its_message_and_signs_nobody_in(
    visitor: httpx.Client,
    sso_server: LiveServer,
    provider: OidcProvider,
    live_engine: Engine,
    email_verified: bool | None,
) -> None:
    user = make_account(live_engine)
    subject = unique("subject")
    provider.identify(subject=subject, email=user.email, email_verified=email_verified)

    response = sign_on(visitor)

    assert response.status_code == 403
    assert response.url.path == "/auth/sso/callback"
    assert error_text(response) == UNVERIFIED["en"]
    assert session_cookie(visitor) is None
    assert sessions_of(live_engine, user) == []
    assert links_of(live_engine, provider.url, subject) == []
    assert visitor.get("/account").url.path == "/auth/sign-in"


def test_an_email_that_matches_no_account_is_refused_with_its_message_and_creates_nothing(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    email = f"{unique('stranger')}@example.org"
    subject = unique("subject")
    provider.identify(subject=subject, email=email)

    response = sign_on(visitor)

    assert response.status_code == 403
    assert error_text(response) == UNKNOWN["en"]
    assert session_cookie(visitor) is None
    assert accounts_with_email(live_engine, email) == []
    assert links_of(live_engine, provider.url, subject) == []


def test_a_deactivated_account_cannot_sign_in_through_sso(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    user = make_account(live_engine, active=False)
    subject = unique("subject")
    provider.identify(subject=subject, email=user.email)

    response = sign_on(visitor)

    assert response.status_code == 403
    assert error_text(response) == DEACTIVATED
    assert session_cookie(visitor) is None
    assert sessions_of(live_engine, user) == []
    assert links_of(live_engine, provider.url, subject) == []


@pytest.mark.parametrize("state", ["forged-state-value", None], ids=["forged", "missing"])
def test_a_callback_with_a_forged_or_missing_state_is_refused_and_signs_nobody_in(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine, state: str | None
) -> None:
    user = make_account(live_engine)
    subject = unique("subject")
    provider.identify(subject=subject, email=user.email)
    genuine = callback_url(visitor)

    response = visitor.get(with_state(genuine, state))

    assert response.status_code == 403
    assert error_text(response) == FAILED["en"]
    assert session_cookie(visitor) is None
    assert sessions_of(live_engine, user) == []
    assert links_of(live_engine, provider.url, subject) == []


def test_a_callback_opened_in_another_browser_than_the_one_that_started_is_refused(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    """The provider's answer only counts in the browser that began the sign-on (its state cookie)."""
    user = make_account(live_engine)
    provider.identify(subject=unique("subject"), email=user.email)
    genuine = callback_url(visitor)

    with visitor_client(sso_server) as other_browser:
        response = other_browser.get(genuine)
        assert session_cookie(other_browser) is None

    assert response.status_code == 403
    assert error_text(response) == FAILED["en"]
    assert sessions_of(live_engine, user) == []


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"nonce": "not-the-nonce-of-this-sign-on"}, id="other-nonce"),
        pytest.param({"aud": "another-client"}, id="other-audience"),
        pytest.param({"iss": "http://127.0.0.1:9"}, id="other-issuer"),
        pytest.param({"exp": 1_000_000_000}, id="expired"),
    ],
)
def test_an_id_token_the_portal_cannot_trust_is_refused_with_the_clear_message_and_signs_nobody_in(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine, claims: dict[str, Any]
) -> None:
    user = make_account(live_engine)
    subject = unique("subject")
    provider.identify(subject=subject, email=user.email, **claims)

    response = sign_on(visitor)

    assert session_cookie(visitor) is None
    assert sessions_of(live_engine, user) == []
    assert links_of(live_engine, provider.url, subject) == []
    assert response.status_code == 403
    assert error_text(response) == FAILED["en"]


# The authorization request


def test_the_authorization_request_uses_the_code_flow_with_pkce_a_state_and_a_nonce(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider
) -> None:
    requests = []
    for _ in range(2):
        response = visitor.get("/auth/sso/start", follow_redirects=False)
        assert response.status_code == 302
        location = urlsplit(response.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.url}/authorize"
        requests.append({key: values[0] for key, values in parse_qs(location.query).items()})

    for params in requests:
        assert params["response_type"] == "code"
        assert params["client_id"] == CLIENT_ID
        assert params["redirect_uri"] == f"{sso_server.url}/auth/sso/callback"
        assert {"openid", "email"} <= set(params["scope"].split())
        assert params["code_challenge_method"] == "S256"
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"])
        assert len(params["state"]) >= 16
        assert len(params["nonce"]) >= 16
    first, second = requests
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name], f"{name} is the same in two sign-ons"


# Session rotation


def test_sso_sign_in_ends_the_session_the_browser_already_had_and_opens_a_new_one(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    earlier, user = make_account(live_engine, password=PASSWORD), make_account(live_engine)
    old_token = sign_in_with_password(visitor, earlier)
    provider.identify(subject=unique("subject"), email=user.email)

    response = sign_on(visitor)

    assert account_facts(response)["Email address"] == user.email
    new_token = session_cookie(visitor)
    assert new_token is not None and new_token != old_token
    old_session = session_by_token(live_engine, old_token)
    assert old_session is not None and old_session.ended_at is not None
    assert is_signed_out(sso_server, old_token)
    assert not is_signed_out(sso_server, new_token)


def test_sso_sign_in_never_adopts_a_session_cookie_planted_before_it(
    visitor: httpx.Client, sso_server: LiveServer, provider: OidcProvider, live_engine: Engine
) -> None:
    user = make_account(live_engine)
    planted = f"planted-{uuid.uuid4().hex}"
    visitor.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    provider.identify(subject=unique("subject"), email=user.email)

    response = sign_on(visitor)

    assert account_facts(response)["Email address"] == user.email
    token = session_cookie(visitor)
    assert token is not None and token != planted
    assert session_by_token(live_engine, planted) is None
    assert is_signed_out(sso_server, planted)


# Configuration


def test_without_an_issuer_sso_start_is_not_found_and_the_sign_in_page_has_no_sso_button(
    live_server: LiveServer,
) -> None:
    with visitor_client(live_server) as client:
        start = client.get("/auth/sso/start")
        page = client.get("/auth/sign-in")

    assert start.status_code == 404
    assert page.status_code == 200
    assert sso_button(page) is None
    assert "Sign in with" not in soup(page.text).get_text()


def test_with_an_issuer_the_sign_in_page_shows_the_sso_button_with_the_configured_label(visitor: httpx.Client) -> None:
    page = visitor.get("/auth/sign-in", params={"next": "/account"})

    button = sso_button(page)
    assert button is not None
    assert button.get_text(strip=True) == f"Sign in with {LABEL}"
    target = urlsplit(button["href"])
    assert target.path == "/auth/sso/start"
    assert parse_qs(target.query) == {"next": ["/account"]}


# Language


def french_visitor(server: LiveServer, chosen_by: str) -> httpx.Client:
    """A visitor who reads French, chosen by the language cookie (over an English browser) or by the browser."""
    if chosen_by == "cookie":
        client = visitor_client(server)
        client.cookies.set(LANGUAGE_COOKIE, "fr", domain="127.0.0.1")
        return client
    return visitor_client(server, **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})


@pytest.mark.parametrize("chosen_by", ["cookie", "accept-language"])
@pytest.mark.parametrize("refusal", ["unverified", "unknown-email", "forged-state"])
def test_refusals_are_shown_in_french_to_a_french_speaking_visitor(
    sso_server: LiveServer, provider: OidcProvider, live_engine: Engine, chosen_by: str, refusal: str
) -> None:
    with french_visitor(sso_server, chosen_by) as client:
        if refusal == "unverified":
            email = make_account(live_engine).email
            provider.identify(subject=unique("subject"), email=email, email_verified=False)
            response, expected = sign_on(client), UNVERIFIED["fr"]
        elif refusal == "unknown-email":
            provider.identify(subject=unique("subject"), email=f"{unique('inconnu')}@example.org")
            response, expected = sign_on(client), UNKNOWN["fr"]
        else:
            provider.identify(subject=unique("subject"), email=make_account(live_engine).email)
            response, expected = client.get(with_state(callback_url(client), "etat-falsifie")), FAILED["fr"]

    assert response.status_code == 403
    html = soup(response.text).find("html")
    assert html is not None and html["lang"] == "fr"
    assert error_text(response) == expected


def test_the_sso_button_label_is_translated_for_a_french_speaking_visitor(sso_server: LiveServer) -> None:
    with french_visitor(sso_server, "cookie") as client:
        page = client.get("/auth/sign-in")

    button = sso_button(page)
    assert button is not None
    assert button.get_text(strip=True) == f"Se connecter avec {LABEL}"
