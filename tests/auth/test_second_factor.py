"""The second factor: authenticator codes accepted once, recovery codes once, the policy of who must use one, the
step after the password that no URL skips, an admin's reset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyotp
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth import second_factor, service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import RecoveryCode, TotpFactor, User, UserSession
from app.core.config import ConfigurationError, Settings, get_settings
from app.core.errors import DomainError
from app.outbox.models import OutboxMessage
from tests.factories import PASSWORD, live_account, make_user, page_csrf, sign_in, soup
from tests.support.live import LiveServer

STEP = 30


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The default policy of a real deployment: admins and coordinators must use a second factor."""
    monkeypatch.delenv("PRCN_MFA_REQUIRED_ROLES")
    get_settings.cache_clear()
    assert get_settings().second_factor_roles == {"admin", "coordinator"}
    yield get_settings()
    get_settings.cache_clear()


def enrolled(session, user: User, *, at: float) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Sets up an authenticator app for `user` with a code of the time `at`; returns the secret and recovery codes."""
    settings = get_settings()
    secret = second_factor.enrolment_secret(session, settings, user=user)
    codes = second_factor.confirm_enrolment(session, settings, user=user, code=pyotp.TOTP(secret).at(at), now=at)
    return secret, codes


def audited(session, action: str, user: User) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(
        session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity_id == str(user.id))).all()
    )


def mails_to(session, user: User) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).all())


# Authenticator codes


def test_secret_is_encrypted_at_rest_and_enrolment_needs_a_right_first_code(session) -> None:
    user = make_user(session, role="focal_point")
    settings = get_settings()
    secret = second_factor.enrolment_secret(session, settings, user=user)
    stored = session.exec(select(TotpFactor).where(TotpFactor.user_id == user.id)).one()
    assert secret not in stored.secret and stored.confirmed_at is None
    with pytest.raises(DomainError, match="not correct"):
        second_factor.confirm_enrolment(session, settings, user=user, code="12345", now=time.time())
    assert not second_factor.has_factor(session, user)
    now = time.time()
    codes = second_factor.confirm_enrolment(session, settings, user=user, code=pyotp.TOTP(secret).at(now), now=now)
    assert second_factor.has_factor(session, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored_codes = session.exec(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert not {code.replace("-", "") for code in codes} & set(stored_codes)  # kept as hashes only
    assert len(audited(session, "add_second_factor", user)) == 1
    assert any("second factor" in mail.subject for mail in mails_to(session, user))


def test_a_code_is_accepted_once(session) -> None:
    user = make_user(session, role="coordinator")
    now = time.time()
    secret, _ = enrolled(session, user, at=now - STEP)
    code = pyotp.TOTP(secret).at(now)
    second_factor.check_code(session, get_settings(), user=user, code=code, address="a", now=now)
    with pytest.raises(DomainError, match="used already"):
        second_factor.check_code(session, get_settings(), user=user, code=code, address="a", now=now)
    assert len(audited(session, "second_factor_failed", user)) == 1


def test_a_code_of_an_earlier_window_is_refused_after_a_later_one(session) -> None:
    user = make_user(session, role="coordinator")
    now = time.time()
    secret, _ = enrolled(session, user, at=now - 10 * STEP)
    totp = pyotp.TOTP(secret)
    second_factor.check_code(session, get_settings(), user=user, code=totp.at(now + STEP), address="a", now=now)
    # The previous window's code is within ±1 step of now, but older than the one just used.
    with pytest.raises(DomainError):
        second_factor.check_code(session, get_settings(), user=user, code=totp.at(now), address="a", now=now)


def test_codes_one_step_either_side_pass_and_two_steps_do_not(session) -> None:
    user = make_user(session, role="coordinator")
    now = time.time()
    secret, _ = enrolled(session, user, at=now - 10 * STEP)
    totp = pyotp.TOTP(secret)
    with pytest.raises(DomainError):
        second_factor.check_code(session, get_settings(), user=user, code=totp.at(now - 2 * STEP), address="a", now=now)
    second_factor.check_code(session, get_settings(), user=user, code=totp.at(now - STEP), address="a", now=now)
    with pytest.raises(DomainError):
        second_factor.check_code(session, get_settings(), user=user, code=totp.at(now + 2 * STEP), address="a", now=now)
    second_factor.check_code(session, get_settings(), user=user, code=totp.at(now + STEP), address="a", now=now)


def test_wrong_codes_count_against_the_sign_in_limits(session) -> None:
    user = make_user(session, role="coordinator")
    now = time.time()
    secret, _ = enrolled(session, user, at=now - 10 * STEP)
    for _ in range(get_settings().max_failures_per_account):
        with pytest.raises(DomainError, match="not correct"):
            second_factor.check_code(session, get_settings(), user=user, code="12345x", address="b", now=now)
    with pytest.raises(DomainError, match="Too many"):
        second_factor.check_code(
            session, get_settings(), user=user, code=pyotp.TOTP(secret).at(now), address="b", now=now
        )


# Recovery codes


def test_a_recovery_code_works_once_says_how_many_remain_and_emails_in_the_owners_language(session) -> None:
    user = make_user(session, role="coordinator", language="fr")
    _, codes = enrolled(session, user, at=time.time())
    before = len(mails_to(session, user))
    assert second_factor.use_recovery_code(session, get_settings(), user=user, code=codes[3].upper(), address="c") == 9
    mails = mails_to(session, user)
    assert len(mails) == before + 1
    assert "code de secours" in mails[-1].subject and "9" in mails[-1].body
    with pytest.raises(DomainError, match="used already"):
        second_factor.use_recovery_code(session, get_settings(), user=user, code=codes[3], address="c")
    with pytest.raises(DomainError):
        second_factor.use_recovery_code(session, get_settings(), user=user, code="aaaaa-bbbbb", address="c")
    assert second_factor.remaining_recovery_codes(session, user) == 9
    assert audited(session, "use_recovery_code", user)[0].after == {"remaining": 9}


# Policy


def test_the_policy_setting_is_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRCN_MFA_REQUIRED_ROLES", "admin,boss")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError) as refused:
            get_settings()
        message = str(refused.value)
        assert message.startswith("PRCN_MFA_REQUIRED_ROLES:") and "focal_point" in message and "\n" not in message
    finally:
        get_settings.cache_clear()


def test_default_policy_is_admins_and_coordinators(policy: Settings, session) -> None:
    assert Settings.model_fields["mfa_required_roles"].default == "admin,coordinator"
    assert second_factor.due(session, policy, make_user(session, role="coordinator"))
    assert not second_factor.due(session, policy, make_user(session, role="focal_point"))
    # The provider's MFA counts only when trusted.
    admin = make_user(session, role="admin")
    assert second_factor.due(session, policy, admin, provider_mfa=True)
    assert not second_factor.due(session, policy.model_copy(update={"oidc_trust_mfa": True}), admin, provider_mfa=True)
    assert second_factor.provider_did_mfa(policy, {"amr": ["pwd", "mfa"]})
    assert second_factor.provider_did_mfa(policy, {"acr": "phrh"})
    assert not second_factor.provider_did_mfa(policy, {"amr": ["pwd"]}) and not second_factor.provider_did_mfa(
        policy, {}
    )
    assert not second_factor.provider_did_mfa(policy, {"acr": "2"})
    # A provider's own level counts once listed.
    assert second_factor.provider_did_mfa(policy.model_copy(update={"oidc_mfa_acr": "2,3"}), {"acr": "2"})


# Through the pages


def sign_in_with_password(client, user: User, next: str = "/dashboard"):  # type: ignore[no-untyped-def]
    token = page_csrf(client, "/auth/sign-in")
    return client.post(
        "/auth/sign-in", data={"email": user.email, "password": PASSWORD, "next": next, "csrf_token": token}
    )


def test_a_coordinator_without_a_factor_is_taken_to_enrolment_and_can_do_nothing_else(client, session, policy) -> None:
    user = make_user(session, role="coordinator")
    service.confirm_preferences(session, user=user, language="en", time_zone="UTC")
    response = sign_in_with_password(client, user, next="/meetings")
    assert response.headers["location"] == "/account/second-factor?next=%2Fmeetings"
    for path in ("/dashboard", "/admin/users", "/account", "/meetings/new"):
        refused = client.get(path)
        assert refused.status_code == 303 and refused.headers["location"] == "/auth/second-factor", path
    assert (
        client.post("/account/preferences", data={"csrf_token": page_csrf(client, "/auth/sign-in")}).status_code == 403
    )
    page = client.get("/account/second-factor?next=/meetings")
    assert "Your role must use a second factor" in page.text
    secret = soup(page.text).find(id="totp-secret").get_text(strip=True)
    qr = client.get("/account/second-factor/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml" and b"<script" not in qr.content and b"style" not in qr.content
    wrong = client.post(
        "/account/second-factor", data={"code": "000000", "next": "/meetings", "csrf_token": page_csrf(client, "/")}
    )
    assert wrong.status_code == 400 and "not correct" in wrong.text
    done = client.post(
        "/account/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "next": "/meetings", "csrf_token": page_csrf(client, "/")},
    )
    assert done.status_code == 200
    codes = [item.get_text(strip=True) for item in soup(done.text).select("#recovery-codes li")]
    assert len(codes) == 10
    assert soup(done.text).find("a", class_="button")["href"] == "/meetings"
    assert client.get("/meetings").status_code == 200
    # The codes are not shown again.
    assert codes[0] not in client.get("/account/second-factor").text


def test_the_second_step_cannot_be_skipped_and_a_code_completes_it(client, session, policy) -> None:
    user = make_user(session, role="admin")
    service.confirm_preferences(session, user=user, language="en", time_zone="UTC")
    secret, _ = enrolled(session, user, at=time.time() - 10 * STEP)
    response = sign_in_with_password(client, user, next="/admin/users")
    assert response.headers["location"] == "/auth/second-factor?next=%2Fadmin%2Fusers"
    pending = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert [row.second_factor_pending for row in pending] == [True]
    token = page_csrf(client, "/auth/second-factor")
    assert client.get("/admin/users").headers["location"] == "/auth/second-factor"
    assert client.post(f"/admin/users/{user.id}/end-sessions", data={"csrf_token": token}).status_code == 403
    wrong = client.post("/auth/second-factor", data={"code": "123456", "next": "/admin/users", "csrf_token": token})
    assert wrong.status_code == 400 and "not correct" in wrong.text
    right = client.post(
        "/auth/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "next": "/admin/users", "csrf_token": token},
    )
    assert right.status_code == 303 and right.headers["location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200
    # The session that waited has ended; a new token was given.
    assert session.get(UserSession, pending[0].id).ended_at is not None


def test_a_recovery_code_signs_in_once_through_the_page(client, session, policy) -> None:
    user = make_user(session, role="coordinator")
    service.confirm_preferences(session, user=user, language="en", time_zone="UTC")
    _, codes = enrolled(session, user, at=time.time() - 10 * STEP)
    sign_in_with_password(client, user)
    token = page_csrf(client, "/auth/second-factor")
    used = client.post("/auth/second-factor/recovery", data={"recovery_code": codes[0], "csrf_token": token})
    assert used.status_code == 200
    assert "9 unused recovery codes remain" in soup(used.text).find(id="recovery-remaining").get_text()
    assert client.get("/dashboard").status_code == 200
    client.cookies.clear()
    sign_in_with_password(client, user)
    token = page_csrf(client, "/auth/second-factor")
    again = client.post("/auth/second-factor/recovery", data={"recovery_code": codes[0], "csrf_token": token})
    assert again.status_code == 400 and "used already" in again.text
    assert client.get("/dashboard").headers["location"] == "/auth/second-factor"


def test_an_admin_resets_a_second_factor(client, session) -> None:
    owner = make_user(session, role="coordinator")
    enrolled(session, owner, at=time.time())
    sign_in(client, session, owner)
    admin = make_user(session, role="admin")
    client.cookies.clear()
    sign_in(client, session, admin)
    page = client.get(f"/admin/users/{owner.id}")
    assert "Reset the second factor" in page.text
    response = client.post(f"/admin/users/{owner.id}/second-factor", data={"csrf_token": page_csrf(client)})
    assert response.headers["location"] == f"/admin/users/{owner.id}?notice=second-factor-reset"
    assert not second_factor.has_factor(session, owner)
    assert second_factor.remaining_recovery_codes(session, owner) == 0
    assert all(row.ended_at for row in session.exec(select(UserSession).where(UserSession.user_id == owner.id)))
    assert audited(session, "reset_second_factor", owner)[0].actor_id == admin.id
    assert any("reset the second factor" in mail.subject for mail in mails_to(session, owner))


def test_a_focal_point_enrols_voluntarily_and_may_remove_it(client, session, policy) -> None:
    user = make_user(session, role="focal_point")
    sign_in(client, session, user)
    assert "Set up an authenticator app" in client.get("/account").text
    page = client.get("/account/second-factor")
    secret = soup(page.text).find(id="totp-secret").get_text(strip=True)
    client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": page_csrf(client, "/")})
    assert second_factor.has_factor(session, user)
    removed = client.post("/account/second-factor/remove", data={"csrf_token": page_csrf(client, "/")})
    assert removed.headers["location"] == "/account?notice=second-factor-removed"
    assert not second_factor.has_factor(session, user)
    assert len(audited(session, "remove_second_factor", user)) == 1


def test_reaching_the_limit_with_wrong_codes_emails_the_owner_once(session) -> None:
    user = make_user(session, role="coordinator")
    enrolled(session, user, at=time.time() - 10 * STEP)
    before = len(mails_to(session, user))
    for _ in range(get_settings().max_failures_per_account):
        with pytest.raises(DomainError):
            second_factor.check_code(session, get_settings(), user=user, code="000000", address="d")
    warned = [mail for mail in mails_to(session, user)[before:] if "Wrong second-factor codes" in mail.subject]
    assert len(warned) == 1
    assert len(audited(session, "second_factor_failed", user)) == get_settings().max_failures_per_account


def test_new_recovery_codes_replace_the_old_ones(client, session) -> None:
    user = make_user(session, role="focal_point")
    _, old = enrolled(session, user, at=time.time())
    sign_in(client, session, user)
    page = client.post("/account/second-factor/recovery-codes", data={"csrf_token": page_csrf(client)})
    new = [item.get_text(strip=True) for item in soup(page.text).select("#recovery-codes li")]
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(DomainError):
        second_factor.use_recovery_code(session, get_settings(), user=user, code=old[0], address="e")
    assert second_factor.use_recovery_code(session, get_settings(), user=user, code=new[0], address="e") == 9


def test_the_set_up_page_opened_in_several_tabs_at_once_shows_one_secret_in_all(
    live_server: LiveServer, live_engine: Engine
) -> None:
    """The first view of the set-up page stores the secret being set up although it is a GET: on SQLite no tab may
    find the database locked by another, and every tab shows the same key, with its QR code."""
    user, token = live_account(live_engine, role="observer")
    tabs = [httpx.Client(base_url=live_server.url, cookies={SESSION_COOKIE: token}, timeout=15) for _ in range(6)]
    try:
        with ThreadPoolExecutor(len(tabs)) as pool:
            pages = list(
                pool.map(
                    lambda tab, path: tab.get(path),
                    tabs,
                    ["/account/second-factor", "/account/second-factor/qr.svg"] * 3,
                )
            )
    finally:
        for tab in tabs:
            tab.close()

    assert [page.status_code for page in pages] == [200] * len(tabs), [page.text[:200] for page in pages]
    keys = [soup(page.text).find(id="totp-secret") for page in pages[::2]]
    assert all(keys), "a tab shows no key"
    assert len({key.get_text(strip=True) for key in keys if key}) == 1, keys
    assert all(page.headers["content-type"].startswith("image/svg+xml") for page in pages[1::2])
    with Session(live_engine) as db:
        assert len(db.exec(select(TotpFactor).where(TotpFactor.user_id == user.id)).all()) == 1
