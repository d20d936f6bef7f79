"""Accounts, passwords, sign-in limits, sessions and one-time links, called directly."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth import service
from app.auth.models import OneTimeToken, User, UserSession
from app.auth.passwords import check_new_password, hash_password
from app.core import clock
from app.core.config import get_settings
from app.core.errors import DomainError, TooManyAttempts
from app.outbox.models import OutboxMessage
from tests.factories import PASSWORD, make_user


def test_passwords_are_hashed_with_argon2id_at_a_cost_owasp_accepts() -> None:
    """Argon2id with at least OWASP's lowest accepted cost (19 MiB, two passes); test accounts use a cheaper one."""
    variant, version, parameters, *_ = hash_password(PASSWORD).split("$")[1:]
    cost = dict(pair.split("=") for pair in parameters.split(","))
    assert (variant, version) == ("argon2id", "v=19")
    assert int(cost["m"]) >= 19 * 1024 and int(cost["t"]) >= 2, cost


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12"),
        ("x" * 100 + "y" * 29, "at most 128"),
        ("password1234", "too common"),
        ("Password123!", "too common"),
        ("qwertyuiop123", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("1212121212121212", "too common"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_new_password(password)
    assert reason in refused.value.message % refused.value.params


def test_password_containing_the_email_name_is_refused() -> None:
    with pytest.raises(DomainError):
        check_new_password("teuila.faleolo lagoon", email="teuila.faleolo@gov.ws")


def test_good_passwords_are_accepted() -> None:
    check_new_password(PASSWORD)
    check_new_password("Tāmaki-makau-rau 2026 ✓")
    check_new_password(("wave canoe star " * 8)[:128])


def test_wrong_password_counts_and_locks_the_account(session) -> None:
    settings = get_settings()
    user = make_user(session)
    for _ in range(settings.max_failures_per_account):
        with pytest.raises(DomainError, match="not correct"):
            service.authenticate(session, settings, email=user.email, password="wrong password!", address="a")
    with pytest.raises(TooManyAttempts) as locked:
        service.authenticate(session, settings, email=user.email, password=PASSWORD, address="b")
    assert locked.value.params["minutes"] == settings.failure_window_minutes


def test_address_limit_spans_accounts(session) -> None:
    settings = get_settings().model_copy(update={"max_failures_per_address": 3})
    for number in range(3):
        with pytest.raises(DomainError):
            service.authenticate(
                session, settings, email=f"nobody{number}@example.org", password="x" * 12, address="203.0.113.9"
            )
    user = make_user(session)
    with pytest.raises(TooManyAttempts):
        service.authenticate(session, settings, email=user.email, password=PASSWORD, address="203.0.113.9")
    assert (
        service.authenticate(session, settings, email=user.email, password=PASSWORD, address="198.51.100.1").id
        == user.id
    )


def test_email_is_case_insensitive_and_success_clears_failures(session) -> None:
    settings = get_settings()
    user = make_user(session, email="Mere.Tuilagi@Gov.CK")
    assert user.email == "mere.tuilagi@gov.ck"
    for _ in range(settings.max_failures_per_account - 1):
        with pytest.raises(DomainError):
            service.authenticate(session, settings, email=user.email, password="nope nope nope", address="a")
    assert (
        service.authenticate(session, settings, email="MERE.TUILAGI@gov.ck", password=PASSWORD, address="a").id
        == user.id
    )
    with pytest.raises(DomainError, match="not correct"):
        service.authenticate(session, settings, email=user.email, password="nope nope nope", address="a")


def test_deactivated_account_cannot_sign_in(session) -> None:
    admin = make_user(session, role="admin")
    user = make_user(session)
    service.set_active(session, user=user, active=False, actor_id=admin.id)
    with pytest.raises(DomainError, match="not correct"):
        service.authenticate(session, get_settings(), email=user.email, password=PASSWORD, address="a")


def _session_row(session, token: str) -> UserSession:  # type: ignore[no-untyped-def]
    return session.exec(select(UserSession).where(UserSession.token_hash == service.digest(token))).one()


def test_sessions_expire_when_idle_and_when_too_old(session) -> None:
    settings = get_settings()
    user = make_user(session)
    token = service.start_session(session, user=user, address="a", user_agent="t")
    assert service.load_visitor(session, settings, token).user.id == user.id

    row = _session_row(session, token)
    row.last_seen_at = clock.now() - timedelta(minutes=settings.session_idle_minutes + 1)
    session.add(row)
    session.commit()
    assert service.load_visitor(session, settings, token).user is None
    assert _session_row(session, token).ended_at is not None

    token = service.start_session(session, user=user, address="a", user_agent="t")
    row = _session_row(session, token)
    row.created_at = clock.now() - timedelta(hours=settings.session_absolute_hours, minutes=1)
    session.add(row)
    session.commit()
    assert service.load_visitor(session, settings, token).user is None


def test_signing_in_again_replaces_the_session(session) -> None:
    user = make_user(session)
    first = service.start_session(session, user=user, address="a", user_agent="t")
    old = service.load_visitor(session, get_settings(), first).auth_session
    second = service.start_session(session, user=user, address="a", user_agent="t", replaces=old)
    assert first != second
    assert service.load_visitor(session, get_settings(), first).user is None
    assert service.load_visitor(session, get_settings(), second).user.id == user.id


def test_admin_ends_all_sessions_of_a_user(session) -> None:
    admin = make_user(session, role="admin")
    user = make_user(session)
    tokens = [service.start_session(session, user=user, address="a", user_agent="t") for _ in range(3)]
    assert service.end_all_sessions(session, user=user, actor_id=admin.id) == 3
    assert all(service.load_visitor(session, get_settings(), token).user is None for token in tokens)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "end_sessions")).one()
    assert entry.actor_id == admin.id and entry.after == {"sessions_ended": 3}


def test_reset_link_works_once_and_ends_sessions(session) -> None:
    settings = get_settings()
    user = make_user(session)
    open_session = service.start_session(session, user=user, address="a", user_agent="t")
    service.request_password_reset(session, settings, email=user.email, language="en")
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).one()
    token = message.body.split("/auth/reset/")[1].split()[0]

    service.reset_password(session, token=token, new="a brand new passphrase")
    assert (
        service.authenticate(session, settings, email=user.email, password="a brand new passphrase", address="a").id
        == user.id
    )
    assert service.load_visitor(session, settings, open_session).user is None
    with pytest.raises(DomainError, match="used already"):
        service.reset_password(session, token=token, new="another new passphrase")


def test_expired_reset_link_is_refused_and_changes_nothing(session) -> None:
    settings = get_settings()
    user = make_user(session)
    service.request_password_reset(session, settings, email=user.email, language="en")
    row = session.exec(select(OneTimeToken).where(OneTimeToken.user_id == user.id)).one()
    row.expires_at = clock.now() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).one()
    token = message.body.split("/auth/reset/")[1].split()[0]
    with pytest.raises(DomainError, match="expired"):
        service.reset_password(session, token=token, new="a brand new passphrase")
    assert service.authenticate(session, settings, email=user.email, password=PASSWORD, address="a")


def test_reset_for_unknown_email_sends_nothing(session) -> None:
    before = len(session.exec(select(OutboxMessage)).all())
    service.request_password_reset(session, get_settings(), email="nobody@example.org", language="en")
    assert len(session.exec(select(OutboxMessage)).all()) == before


def test_reset_email_is_in_the_recipients_language(session) -> None:
    user = make_user(session, language="fr")
    service.request_password_reset(session, get_settings(), email=user.email, language="en")
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).one()
    assert message.subject.startswith("Réinitialisation de votre mot de passe")
    assert "Bonjour" in message.body


def test_a_new_reset_link_cancels_the_previous_one(session) -> None:
    settings = get_settings()
    user = make_user(session)
    service.request_password_reset(session, settings, email=user.email, language="en")
    service.request_password_reset(session, settings, email=user.email, language="en")
    bodies = [m.body for m in session.exec(select(OutboxMessage).where(OutboxMessage.recipient == user.email))]
    first, second = (body.split("/auth/reset/")[1].split()[0] for body in bodies)
    with pytest.raises(DomainError, match="used already"):
        service.peek_token(session, token=first, purpose="reset")
    assert service.peek_token(session, token=second, purpose="reset")[1].id == user.id


def test_first_admin_link_is_offered_until_an_admin_has_a_password(session) -> None:
    settings = get_settings()
    existing = session.exec(select(service.User).where(service.User.role == "admin")).all()
    for admin in existing:
        admin.role = "observer"
        session.add(admin)
    session.commit()
    link = service.ensure_first_admin(session, settings, email="first.admin@example.org")
    assert link is not None and "/auth/link/" in link
    admin = service.find_user_by_email(session, "first.admin@example.org")
    assert admin is not None and admin.role == "admin" and admin.password_hash is None
    admin.password_hash = hash_password(PASSWORD)
    session.add(admin)
    session.commit()
    assert service.ensure_first_admin(session, settings, email="first.admin@example.org") is None


def test_creating_an_account_is_audited_without_secrets(session) -> None:
    user = make_user(session)
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == str(user.id), AuditEntry.action == "create"
        )
    ).one()
    assert entry.after["email"] == user.email
    assert "password_hash" not in entry.after


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "valid email"),
        ({"email": "a b@example.org"}, "valid email"),
        ({"display_name": "  "}, "name of 1 to 120"),
        ({"display_name": "n" * 121}, "name of 1 to 120"),
        ({"role": "emperor"}, "Choose a role"),
        ({"role": "focal_point", "member_state_id": None}, "must belong to a member state"),
    ],
)
def test_bad_account_fields_change_nothing(session, fields: dict[str, object], message: str) -> None:
    values = {
        "email": "valid@example.org",
        "display_name": "Valid",
        "role": "observer",
        "member_state_id": None,
        **fields,
    }
    with pytest.raises(DomainError, match=message):
        service.create_user(session, actor_id=None, **values)  # type: ignore[arg-type]
    assert service.find_user_by_email(session, "valid@example.org") is None


def test_a_busy_database_never_fails_a_request_over_noting_its_sessions_use(engine) -> None:
    """Two requests of one session at once on SQLite: the one whose read was overtaken by the other's write cannot
    write; it still gets its page (the use is noted by a later request)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with Session(engine) as setup:
        user = User(email=f"busy-{token[:8].lower()}@example.org", display_name="Busy reader", role="observer")
        setup.add(user)
        setup.flush()
        row = UserSession(
            token_hash=service.digest(token),
            user_id=user.id,
            csrf_secret="x" * 32,
            created_at=now - timedelta(minutes=5),
            last_seen_at=now - timedelta(minutes=2),
        )
        setup.add(row)
        setup.commit()
        user_id, row_id = user.id, row.id
    try:
        with Session(engine) as request, Session(engine) as other:
            request.exec(select(User).where(User.id == user_id)).one()  # this request's reads begin
            other.exec(select(User).where(User.id == user_id)).one().display_name = "Busy reader, renamed"
            other.commit()  # another request writes first
            visitor = service.load_visitor(request, get_settings(), token)
            assert visitor.user is not None and visitor.user.id == user_id
            assert visitor.user.display_name == "Busy reader, renamed"
    finally:
        with Session(engine) as cleanup:
            cleanup.delete(cleanup.get(UserSession, row_id))
            cleanup.delete(cleanup.get(User, user_id))
            cleanup.commit()
