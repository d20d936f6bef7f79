"""OpenID Connect through Authlib: authorization code with PKCE (S256), state and nonce checked by Authlib."""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

from authlib.deprecate import AuthlibDeprecationWarning

# Authlib forces its deprecation warnings on at import; its own httpx shim is not ours to fix.
warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)

from authlib.integrations.starlette_client import OAuth  # noqa: E402

from app.core.config import Settings  # noqa: E402

CLIENT_NAME = "portal_sso"


@lru_cache
def _registry(issuer: str, client_id: str, client_secret: str) -> Any:
    oauth = OAuth()
    oauth.register(
        name=CLIENT_NAME,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_id=client_id,
        client_secret=client_secret or None,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    return oauth.create_client(CLIENT_NAME)


def client(settings: Settings) -> Any:
    return _registry(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret.get_secret_value())


def claims(token: dict[str, Any]) -> dict[str, Any]:
    """The identity claims: the verified ID token's, completed from userinfo when Authlib fetched it."""
    return dict(token.get("userinfo") or {})
