"""Every route × every role: who gets through, who is sent to sign in, who is refused.

A route missing from RULES fails the suite, so no route ships without a decided rule.
"""

from __future__ import annotations

import pytest

from app.main import api_routes
from tests.factories import make_user, page_csrf, sign_in

PUBLIC = "public"
SIGNED_IN = "signed_in"
ADMIN = "admin"

RULES: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/auth/sign-in"): PUBLIC,
    ("POST", "/auth/sign-in"): PUBLIC,
    ("POST", "/auth/sign-out"): SIGNED_IN,
    ("GET", "/auth/reset"): PUBLIC,
    ("POST", "/auth/reset"): PUBLIC,
    ("GET", "/auth/reset/{token}"): PUBLIC,
    ("POST", "/auth/reset/{token}"): PUBLIC,
    ("GET", "/auth/link/{token}"): PUBLIC,
    ("POST", "/auth/link/{token}"): PUBLIC,
    ("GET", "/auth/sso/start"): PUBLIC,
    ("GET", "/auth/sso/callback"): PUBLIC,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/preferences"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/admin"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{user_id}/end-sessions"): ADMIN,
    ("POST", "/admin/users/{user_id}/active"): ADMIN,
    ("GET", "/admin/outbox"): ADMIN,
    ("GET", "/admin/outbox/{message_id}"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
}
ROLES = ("anonymous", "admin", "coordinator", "focal_point", "observer")
ALLOWED = {PUBLIC: set(ROLES), SIGNED_IN: set(ROLES) - {"anonymous"}, ADMIN: {"admin"}}


def registered_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(method, path) for path, route in api_routes(app.routes) for method in route.methods - {"HEAD"}}


def test_every_route_has_a_rule(app) -> None:
    missing = registered_routes(app) - set(RULES)
    stale = set(RULES) - registered_routes(app)
    assert not missing, f"routes without a rule in RULES: {sorted(missing)}"
    assert not stale, f"rules for routes that no longer exist: {sorted(stale)}"


def fill(path: str, target_id: int) -> str:
    return (path.replace("{token}", "not-a-real-token").replace("{user_id}", str(target_id))
            .replace("{message_id}", "999999"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_route_answers_by_role(client, session, method: str, path: str, role: str) -> None:
    target = make_user(session, role="observer", password=None)
    if role != "anonymous":
        sign_in(client, session, make_user(session, role=role, password=None))
    url = fill(path, target.id)
    response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": page_csrf(client)})
    allowed = role in ALLOWED[RULES[(method, path)]]
    if allowed:
        assert response.status_code not in (401, 403), f"{role} refused at {method} {path}"
        assert not response.headers.get("location", "").startswith("/auth/sign-in?next=")
    elif role == "anonymous" and method == "GET":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/auth/sign-in?next=")
    elif role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == 403, f"{role} not refused at {method} {path}"


def test_app_refuses_a_route_without_rule() -> None:
    from fastapi import APIRouter, FastAPI

    from app.main import check_access_rules

    app = FastAPI()
    router = APIRouter()

    @router.get("/included-and-forgotten")
    def included() -> str:
        return "also open to all by mistake"

    app.include_router(router)
    with pytest.raises(RuntimeError, match="/included-and-forgotten"):
        check_access_rules(app)
    app = FastAPI()

    @app.get("/forgotten")
    def forgotten() -> str:
        return "open to all by mistake"

    with pytest.raises(RuntimeError, match="/forgotten"):
        check_access_rules(app)
