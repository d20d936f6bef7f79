"""The second factor after single sign-on, through a real OpenID Connect provider process: asked unless the portal
trusts the provider's own multi-factor sign-in and the ID token shows it (`amr` "mfa", or a multi-factor `acr`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth import service
from app.core import clock
from tests.support.live import LiveServer
from tests.support.oidc import OidcProvider

CLIENT_ID = "prcn-portal"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    started = OidcProvider(tmp_path_factory.mktemp("oidc-mfa")).start()
    try:
        yield started
    finally:
        started.stop()


def _portal(live_env: dict[str, str], provider: OidcProvider, *, trust: bool) -> LiveServer:
    return LiveServer(
        {
            **live_env,
            "PRCN_OIDC_ISSUER": provider.url,
            "PRCN_OIDC_CLIENT_ID": CLIENT_ID,
            "PRCN_OIDC_CLIENT_SECRET": "client-secret-of-the-portal",
            "PRCN_MFA_REQUIRED_ROLES": "admin,coordinator",
            "PRCN_OIDC_TRUST_MFA": "true" if trust else "false",
        }
    ).start()


@pytest.fixture(scope="module")
def portals(live_env: dict[str, str], provider: OidcProvider) -> Iterator[dict[bool, LiveServer]]:
    """Two portals on the live database: one trusts the provider's MFA, the other does not."""
    started: dict[bool, LiveServer] = {}
    try:
        for trust in (False, True):
            started[trust] = _portal(live_env, provider, trust=trust)
        yield started
    finally:
        for live in started.values():
            live.stop()


def coordinator(engine: Engine) -> str:
    tag = f"mfa-sso-{uuid.uuid4().hex[:12]}"
    with Session(engine, expire_on_commit=False) as db:
        user = service.create_user(
            db, actor_id=None, email=f"{tag}@example.org", display_name=f"Coordinator {tag}", role="coordinator"
        )
        user.preferences_confirmed_at = clock.now()
        db.add(user)
        db.commit()
        return user.email


def sso_landing(server: LiveServer) -> str:
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=15) as client:
        response = client.get("/auth/sso/start?next=/dashboard")
        assert response.status_code == 200, response.text[:500]
        return response.url.path


@pytest.mark.parametrize(
    ("trust", "amr", "acr", "asked"),
    [
        (False, ["pwd", "mfa"], None, True),  # not trusted: the portal asks whatever the provider did
        (False, None, "phr", True),
        (True, ["pwd"], None, True),  # trusted, but the provider did not use a second factor
        (True, None, None, True),  # trusted, but the token does not say
        (True, None, "urn:example:password-only", True),  # an acr that does not mean several factors
        (True, ["pwd", "otp", "mfa"], None, False),  # trusted and shown by amr
        (True, None, "phr", False),  # trusted and shown by a phishing-resistant acr
        (True, ["pwd"], "http://schemas.openid.net/pape/policies/2007/06/multi-factor", False),  # the PAPE policy
    ],
)
def test_the_portals_second_factor_is_asked_after_sso_unless_the_providers_is_trusted_and_shown(
    portals: dict[bool, LiveServer],
    provider: OidcProvider,
    live_engine: Engine,
    trust: bool,
    amr: list[str] | None,
    acr: str | None,
    asked: bool,
) -> None:
    email = coordinator(live_engine)
    claims = {name: value for name, value in (("amr", amr), ("acr", acr)) if value is not None}
    provider.identify(subject=f"subject-{uuid.uuid4().hex}", email=email, **claims)
    landed = sso_landing(portals[trust])
    assert landed == ("/account/second-factor" if asked else "/dashboard")
