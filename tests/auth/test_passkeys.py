"""Passkeys: registered with user verification, used once per challenge as the second factor or to sign in alone,
refused (audited, counted, nothing changed) on a wrong origin or relying party, a used or expired challenge, a
counter gone backwards or a credential that is not the account's; removed by their owner or an admin's reset."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from app.audit.models import AuditEntry
from app.auth import passkeys, second_factor, service
from app.auth.deps import SESSION_COOKIE
from app.auth.models import Passkey, SignInFailure, User, UserSession, WebAuthnChallenge
from app.core import clock
from app.core.config import Settings, get_settings
from app.core.errors import DomainError
from app.outbox.models import OutboxMessage
from tests.auth.authenticator import Authenticator
from tests.factories import PASSWORD, make_user, page_csrf, sign_in, soup

BINDING = "a" * 64


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Admins and coordinators must use a second factor, as in a real deployment."""
    monkeypatch.delenv("PRCN_MFA_REQUIRED_ROLES")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def registered(session, user: User, name: str = "office laptop") -> Authenticator:  # type: ignore[no-untyped-def]
    device = Authenticator()
    settings = get_settings()
    options = passkeys.registration_options(session, settings, user=user, binding=BINDING)
    passkeys.register(session, settings, user=user, binding=BINDING, name=name, credential=device.create(options))
    return device


def stored(session, user: User) -> list[tuple[int, object]]:  # type: ignore[no-untyped-def]
    """What a refusal must leave as it was: each passkey's counter and last use."""
    session.expire_all()
    return [(p.sign_count, p.last_used_at) for p in passkeys.passkeys_of(session, user)]


def failures(session, user: User) -> int:  # type: ignore[no-untyped-def]
    rows = session.exec(select(SignInFailure).where(SignInFailure.kind == "account", SignInFailure.key == user.email))
    return len(list(rows))


def refusals(session, reason: str) -> int:  # type: ignore[no-untyped-def]
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "passkey_refused")).all()
    return sum(1 for entry in entries if reason in json.dumps(entry.after))


def second_step(session, user: User, credential: dict[str, object]) -> Passkey:  # type: ignore[no-untyped-def]
    return passkeys.check_second_factor(
        session, get_settings(), user=user, binding=BINDING, credential=credential, address="203.0.113.9"
    )


def options_for(session, user: User | None) -> str:  # type: ignore[no-untyped-def]
    return passkeys.authentication_options(session, get_settings(), binding=BINDING, user=user)


# Registering


def test_registering_asks_for_a_discoverable_credential_with_user_verification(session) -> None:
    user = make_user(session, role="coordinator")
    options = json.loads(passkeys.registration_options(session, get_settings(), user=user, binding=BINDING))
    assert options["rp"]["id"] == "testserver"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert user.email not in json.dumps(options["user"]["id"])
    challenge = session.exec(select(WebAuthnChallenge)).one()
    assert challenge.purpose == "register" and challenge.user_id == user.id
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=5)


def test_a_registered_passkey_is_a_second_factor_audited_and_emailed(session, policy) -> None:
    user = make_user(session, role="coordinator")
    assert not second_factor.has_factor(session, user)
    device = registered(session, user)
    [passkey] = passkeys.passkeys_of(session, user)
    assert passkey.name == "office laptop" and passkey.transports == "internal"
    assert passkey.last_used_at is None
    assert second_factor.has_factor(session, user) and not second_factor.has_totp(session, user)
    assert second_factor.due(session, policy, user)
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "add_passkey")).all()
    assert [e.after for e in entries] == [{"name": "office laptop"}]
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).all()
    assert any("passkey" in m.subject and "office laptop" in m.body for m in mails)
    # The same device cannot be added twice, and its credential is excluded from the next registration's options.
    options = json.loads(passkeys.registration_options(session, get_settings(), user=user, binding=BINDING))
    assert [c["id"] for c in options["excludeCredentials"]] == [device.create(options)["id"]]


def test_registering_without_user_verification_or_a_name_is_refused(session) -> None:
    user = make_user(session)
    settings = get_settings()
    options = passkeys.registration_options(session, settings, user=user, binding=BINDING)
    with pytest.raises(DomainError, match="could not be added"):
        passkeys.register(
            session,
            settings,
            user=user,
            binding=BINDING,
            name="x",
            credential=Authenticator().create(options, uv=False),
        )
    for name in ("", "   ", "x" * 61, "a\x00b"):
        with pytest.raises(DomainError):
            passkeys.clean_name(name)
    assert passkeys.passkeys_of(session, user) == []


# The second factor after the password


def test_a_good_assertion_passes_the_second_factor(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    passkey = second_step(session, user, device.get(options_for(session, user)))
    session.refresh(passkey)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert failures(session, user) == 0


@pytest.mark.parametrize(
    ("answer", "reason", "message"),
    [
        (lambda device, options: device.get(options, origin="http://evil.example"), "origin", "not accepted"),
        (lambda device, options: device.get(options, rp_id="evil.example"), "rp_id", "not accepted"),
        (lambda device, options: device.get(options, uv=False), "signature", "not accepted"),
        (lambda device, options: Authenticator().get(options), "unknown_credential", "not registered"),
    ],
    ids=["wrong origin", "wrong rp id", "no user verification", "unknown credential"],
)
def test_a_bad_assertion_is_refused_audited_counted_and_changes_nothing(session, answer, reason, message) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    before = stored(session, user)
    with pytest.raises(DomainError, match=message):
        second_step(session, user, answer(device, options_for(session, user)))
    assert stored(session, user) == before
    assert refusals(session, reason) == 1
    assert failures(session, user) == 1


def test_a_challenge_is_used_once(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    options = options_for(session, user)
    second_step(session, user, device.get(options))
    after_first = stored(session, user)
    with pytest.raises(DomainError, match="expired or has been used"):
        second_step(session, user, device.get(options))
    assert stored(session, user) == after_first
    assert refusals(session, "challenge") == 1


def test_asking_again_replaces_the_waiting_challenge_so_repeated_asking_adds_no_rows(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    first = options_for(session, user)
    for _ in range(20):
        latest = options_for(session, user)
    waiting = session.exec(select(WebAuthnChallenge).where(col(WebAuthnChallenge.used_at).is_(None))).all()
    assert len(waiting) == 1
    with pytest.raises(DomainError, match="expired or has been used"):
        second_step(session, user, device.get(first))
    second_step(session, user, device.get(latest))


def test_an_expired_challenge_is_refused(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    options = options_for(session, user)
    session.execute(update(WebAuthnChallenge).values(expires_at=clock.now() - timedelta(seconds=1)))
    session.commit()
    before = stored(session, user)
    with pytest.raises(DomainError, match="expired or has been used"):
        second_step(session, user, device.get(options))
    assert stored(session, user) == before


def test_a_challenge_serves_only_its_purpose_visitor_and_account(session) -> None:
    user = make_user(session, role="coordinator")
    other = make_user(session, role="coordinator")
    device = registered(session, user)
    settings = get_settings()
    for options in (
        options_for(session, None),  # made for a sign-in without password
        passkeys.authentication_options(session, settings, binding="b" * 64, user=user),  # another visitor's
        options_for(session, other),  # another account's
    ):
        with pytest.raises(DomainError, match="expired or has been used"):
            second_step(session, user, device.get(options))


def test_a_counter_gone_backwards_is_refused(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    second_step(session, user, device.get(options_for(session, user), count=7))
    before = stored(session, user)
    with pytest.raises(DomainError, match="counter went backwards"):
        second_step(session, user, device.get(options_for(session, user), count=3))
    assert stored(session, user) == before == [(7, before[0][1])]
    assert refusals(session, "counter") == 1


def test_another_accounts_passkey_does_not_pass_the_second_factor(session) -> None:
    user = make_user(session, role="coordinator")
    other = make_user(session, role="coordinator")
    registered(session, user)
    others_device = registered(session, other)
    with pytest.raises(DomainError, match="not registered for this account"):
        second_step(session, user, others_device.get(options_for(session, user)))
    assert refusals(session, "unknown_credential") == 1


def test_malformed_answers_are_refused(session) -> None:
    user = make_user(session, role="coordinator")
    registered(session, user)
    for credential in (None, "x", {}, {"id": "a", "response": {"clientDataJSON": "!!"}}, {"id": 3, "response": []}):
        with pytest.raises(DomainError, match="not accepted"):
            second_step(session, user, credential)  # type: ignore[arg-type]  # hostile input on purpose


def test_refusals_count_in_the_sign_in_limit(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    limit = get_settings().max_failures_per_account
    for _ in range(limit):
        with pytest.raises(DomainError):
            second_step(session, user, device.get(options_for(session, user), origin="http://evil.example"))
    with pytest.raises(DomainError, match="Too many"):
        second_step(session, user, device.get(options_for(session, user)))


# Signing in without a password


def test_a_discoverable_passkey_signs_in_alone(session) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    options = json.loads(options_for(session, None))
    assert "allowCredentials" not in options or not options["allowCredentials"]
    assert options["userVerification"] == "required"
    signed = passkeys.sign_in(
        session, get_settings(), binding=BINDING, credential=device.get(options), address="203.0.113.9"
    )
    assert signed.id == user.id
    with pytest.raises(DomainError, match="expired or has been used"):
        passkeys.sign_in(session, get_settings(), binding=BINDING, credential=device.get(options), address="x")


def test_an_unknown_passkey_does_not_sign_in(session) -> None:
    make_user(session)
    with pytest.raises(DomainError, match="not registered on this portal"):
        passkeys.sign_in(
            session,
            get_settings(),
            binding=BINDING,
            credential=Authenticator().get(options_for(session, None)),
            address="203.0.113.9",
        )
    assert refusals(session, "unknown_credential") == 1


# Removing


def test_the_owner_removes_a_passkey_audited_and_emailed(session, policy) -> None:
    user = make_user(session, role="coordinator")
    registered(session, user, "office laptop")
    registered(session, user, "phone")
    first, second = passkeys.passkeys_of(session, user)
    passkeys.remove(session, policy, user=user, passkey_id=first.id)  # type: ignore[arg-type]
    assert [p.name for p in passkeys.passkeys_of(session, user)] == ["phone"]
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "remove_passkey")).one().before == {
        "name": "office laptop"
    }
    # The last second factor of a role that must use one stays.
    with pytest.raises(DomainError, match="must use a second factor"):
        passkeys.remove(session, policy, user=user, passkey_id=second.id)  # type: ignore[arg-type]
    # Nobody removes another account's passkey.
    other = make_user(session, role="focal_point")
    with pytest.raises(DomainError, match="does not exist"):
        passkeys.remove(session, policy, user=other, passkey_id=second.id)  # type: ignore[arg-type]
    assert len(passkeys.passkeys_of(session, user)) == 1


def test_an_admin_reset_removes_the_passkeys(session) -> None:
    user = make_user(session, role="coordinator")
    admin = make_user(session, role="admin")
    registered(session, user)
    second_factor.reset(session, get_settings(), user=user, actor_id=admin.id)  # type: ignore[arg-type]
    assert passkeys.passkeys_of(session, user) == []
    assert not second_factor.has_factor(session, user)


# The relying party


@pytest.mark.parametrize(
    ("base_url", "rp_id", "origin"),
    [
        ("http://localhost:8000", "localhost", "http://localhost:8000"),
        ("https://Portal.Example.org/", "portal.example.org", "https://portal.example.org"),
        ("http://127.0.0.1:8000", None, None),
        ("http://[::1]:8000", None, None),
    ],
)
def test_the_relying_party_is_the_base_urls_host_never_an_ip(base_url, rp_id, origin) -> None:  # type: ignore[no-untyped-def]
    rp = passkeys.relying_party(Settings(base_url=base_url))
    assert (rp.id if rp else None, rp.origin if rp else None) == (rp_id, origin)


def test_an_ip_base_url_offers_the_other_methods(session, client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRCN_BASE_URL", "http://127.0.0.1:8000")
    get_settings.cache_clear()
    try:
        user = make_user(session, role="coordinator")
        with pytest.raises(DomainError, match="reached by its name"):
            passkeys.registration_options(session, get_settings(), user=user, binding=BINDING)
        sign_in(client, session, user)
        page = soup(client.get("/account/second-factor").text)
        assert "reached by its name" in page.get_text()
        assert page.find(attrs={"data-passkey": True}) is None
        assert page.find("input", attrs={"name": "code"}) is not None  # the authenticator app is still offered
        assert "passkeys.js" not in str(client.get("/auth/sign-in").text)
    finally:
        get_settings.cache_clear()


# The pages


def with_password(client, user: User) -> None:  # type: ignore[no-untyped-def]
    token = page_csrf(client, "/auth/sign-in")
    answer = client.post("/auth/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303


def _json_post(client, path: str, body: object, csrf: str):  # type: ignore[no-untyped-def]
    return client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json", "X-CSRF-Token": csrf}
    )


def test_a_coordinator_enrols_with_a_passkey_instead_of_an_app(session, client, policy) -> None:
    user = make_user(session, role="coordinator")
    with_password(client, user)
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    html = soup(page.text)
    box = html.find(attrs={"data-passkey": "create"})
    assert box is not None and box.has_attr("hidden")  # shown by the script only
    assert "JavaScript" in html.find(attrs={"data-passkey-note": True}).get_text()
    csrf = page_csrf(client, "/account/second-factor")
    device = Authenticator()
    options = client.post("/account/passkeys/options", headers={"X-CSRF-Token": csrf})
    assert options.status_code == 200
    answer = _json_post(
        client, "/account/passkeys", {"name": "office laptop", "credential": device.create(options.json())}, csrf
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["redirect"].startswith("/welcome")
    assert SESSION_COOKIE in answer.headers["set-cookie"]  # the sign-in is complete, with a new token
    account = client.get("/account/second-factor")
    assert account.status_code == 200
    rows = soup(account.text).select("table tbody tr")
    assert [row.find("td").get_text() for row in rows] == ["office laptop"]
    assert "Never" in rows[0].get_text()


def test_the_second_factor_page_takes_a_passkey(session, client, policy) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    with_password(client, user)
    page = client.get("/auth/second-factor")
    html = soup(page.text)
    assert html.find(attrs={"data-passkey": "get"}) is not None
    assert html.find("input", attrs={"name": "code"}) is None  # no authenticator app to ask for
    csrf = page_csrf(client, "/auth/second-factor")
    options = client.post("/auth/second-factor/passkey/options", headers={"X-CSRF-Token": csrf}).json()
    wrong = _json_post(
        client, "/auth/second-factor/passkey", {"credential": device.get(options, origin="http://x")}, csrf
    )
    assert wrong.status_code == 400 and "not accepted" in wrong.json()["error"]
    assert client.get("/dashboard").headers["location"] == "/auth/second-factor"  # still pending
    options = client.post("/auth/second-factor/passkey/options", headers={"X-CSRF-Token": csrf}).json()
    good = _json_post(
        client, "/auth/second-factor/passkey", {"credential": device.get(options), "next": "/meetings"}, csrf
    )
    assert good.status_code == 200 and good.json()["redirect"].endswith("meetings")
    session.expire_all()
    sessions = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert [s.second_factor_pending for s in sessions if s.ended_at is None] == [False]


def test_the_passkey_refusal_is_in_french(session, client) -> None:
    user = make_user(session, role="coordinator", language="fr")
    registered(session, user)
    sign_in(client, session, user, pending=True)
    client.headers["Accept-Language"] = "fr"  # before the second factor, the page speaks the browser's language
    csrf = page_csrf(client, "/auth/second-factor")
    options = client.post("/auth/second-factor/passkey/options", headers={"X-CSRF-Token": csrf}).json()
    answer = _json_post(client, "/auth/second-factor/passkey", {"credential": Authenticator().get(options)}, csrf)
    assert answer.status_code == 400
    assert "clé d’accès" in answer.json()["error"]


def test_signing_in_with_a_passkey_from_the_sign_in_page(session, client) -> None:
    user = make_user(session, role="coordinator")
    device = registered(session, user)
    page = soup(client.get("/auth/sign-in").text)
    assert page.find(attrs={"data-passkey": "get", "data-action": "/auth/passkey"}) is not None
    csrf = page_csrf(client, "/auth/sign-in")
    options = client.post("/auth/passkey/options", headers={"X-CSRF-Token": csrf}).json()
    without_csrf = client.post("/auth/passkey", content=json.dumps({"credential": device.get(options)}))
    assert without_csrf.status_code == 403
    answer = _json_post(client, "/auth/passkey", {"credential": device.get(options)}, csrf)
    assert answer.status_code == 200, answer.text
    assert client.get("/account").status_code == 200
    garbage = client.post("/auth/passkey", content=b"\xff{", headers={"X-CSRF-Token": page_csrf(client, "/account")})
    assert garbage.status_code == 400 and "error" in garbage.json()
    deep = client.post("/auth/passkey", content=b"[" * 100_000, headers={"X-CSRF-Token": page_csrf(client, "/account")})
    assert deep.status_code == 400
    assert service.find_user_by_email(session, user.email) is not None


def test_removing_a_passkey_from_the_page(session, client) -> None:
    user = make_user(session, role="focal_point")
    registered(session, user)
    [passkey] = passkeys.passkeys_of(session, user)
    sign_in(client, session, user)
    csrf = page_csrf(client, "/account/second-factor")
    refused = client.post(f"/account/passkeys/{passkey.id}/remove")
    assert refused.status_code == 403 and passkeys.passkeys_of(session, user)
    asked = client.post(f"/account/passkeys/{passkey.id}/remove", data={"csrf_token": csrf})
    question = soup(asked.text)
    assert asked.status_code == 200 and question.h1.get_text(strip=True) == "Remove the passkey office laptop?"
    assert passkeys.passkeys_of(session, user)  # asking changes nothing
    confirm = question.find("form", action=f"/account/passkeys/{passkey.id}/remove")
    assert confirm.find("button", string="Remove the passkey") is not None
    removed = client.post(f"/account/passkeys/{passkey.id}/remove", data={"csrf_token": csrf, "confirmed": "yes"})
    assert removed.status_code == 303
    assert "removed" in client.get(removed.headers["location"]).text
    assert passkeys.passkeys_of(session, user) == []


def test_a_coordinator_with_a_passkey_may_remove_the_authenticator_app(session, client, policy) -> None:
    user = make_user(session, role="coordinator")
    settings = get_settings()
    now = time.time()
    secret = second_factor.enrolment_secret(session, settings, user=user)
    second_factor.confirm_enrolment(session, settings, user=user, code=pyotp.TOTP(secret).at(now), now=now)
    sign_in(client, session, user)
    html = soup(client.get("/account/second-factor").text)
    assert html.find("button", string="Remove the authenticator app") is None  # the app is its only factor
    registered(session, user)

    html = soup(client.get("/account/second-factor").text)
    assert html.find("button", string="Remove the authenticator app") is not None
    removed = client.post("/account/second-factor/remove", data={"csrf_token": page_csrf(client, "/")})

    assert removed.status_code == 303
    assert not second_factor.has_totp(session, user) and second_factor.has_factor(session, user)


def test_a_passkey_only_account_makes_recovery_codes_and_signs_in_with_one_when_no_passkey_is_at_hand(
    session, client, policy
) -> None:
    user = make_user(session, role="coordinator")
    registered(session, user)
    sign_in(client, session, user)
    factor = soup(client.get("/account/second-factor").text)
    assert factor.find("button", string="Make ten recovery codes") is not None
    made = client.post("/account/second-factor/recovery-codes", data={"csrf_token": page_csrf(client, "/")})
    codes = [code.get_text() for code in soup(made.text).select("#recovery-codes code")]
    assert made.status_code == 200 and len(codes) == 10
    assert "lose your passkeys" in made.text
    client.cookies.clear()

    with_password(client, user)
    pending = soup(client.get("/auth/second-factor").text)
    assert pending.find(id="recovery-heading").get_text(strip=True) == "No passkey at hand?"
    used = client.post(
        "/auth/second-factor/recovery",
        data={"recovery_code": codes[0], "csrf_token": page_csrf(client, "/auth/second-factor")},
    )

    assert used.status_code == 200 and "9" in soup(used.text).get_text()
    assert client.get("/dashboard").status_code == 200  # signed in fully
    assert second_factor.remaining_recovery_codes(session, user) == 9


def test_removing_the_last_passkey_of_an_account_without_an_app_drops_its_recovery_codes(session) -> None:
    user = make_user(session, role="focal_point")
    registered(session, user)
    second_factor.renew_recovery_codes(session, get_settings(), user=user)
    [passkey] = passkeys.passkeys_of(session, user)

    passkeys.remove(session, get_settings(), user=user, passkey_id=passkey.id)

    assert second_factor.remaining_recovery_codes(session, user) == 0
    assert not second_factor.due(session, get_settings(), user)  # nothing left to ask for
