"""Sign-in and password reset under attack: the same work whether an account exists or not, limits that hold
when guesses come in parallel, and reset mail that cannot be flooded."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.auth import service
from app.auth.models import SignInFailure, User
from app.core.config import get_settings
from app.core.errors import DomainError, TooManyAttempts
from app.outbox.models import OutboxMessage
from tests.factories import PASSWORD, make_user


@pytest.fixture
def argon2_runs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the Argon2 computations (hashes and checks); each still runs for real."""
    runs: Counter[str] = Counter()
    for name in ("hash", "verify"):
        real = getattr(Argon2Hasher, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            runs[_name] += 1
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Argon2Hasher, name, counted)
    return runs


def attempt(session: Session, email: str, password: str = "not the password at all") -> str:
    try:
        service.authenticate(session, get_settings(), email=email, password=password, address="192.0.2.10")
    except DomainError as error:
        return error.message
    return "signed in"


def test_an_unknown_address_costs_the_same_password_check_as_a_wrong_password(
    session: Session, argon2_runs: Counter[str]
) -> None:
    known = make_user(session)
    inactive = make_user(session)
    inactive.is_active = False
    without_password = make_user(session, password=None)
    session.commit()
    answers = {}
    for email in ("nobody-here@example.org", known.email, inactive.email, without_password.email):
        argon2_runs.clear()
        answers[email] = attempt(session, email)
        assert sum(argon2_runs.values()) == 1, f"{email}: {dict(argon2_runs)} Argon2 computations"
    assert set(answers.values()) == {"The email address or the password is not correct."}


@pytest.fixture
def committed(live_engine: Engine) -> Iterator[Engine]:
    """The live database, whose transactions really commit, so that parallel sessions see each other."""
    yield live_engine
    with Session(live_engine) as db:
        db.execute(delete(SignInFailure))
        db.commit()


@pytest.mark.postgres_only
def test_parallel_guesses_cannot_pass_the_account_limit(committed: Engine) -> None:
    email = f"guessed-{uuid.uuid4().hex[:8]}@example.org"
    with Session(committed) as db:
        service.create_user(db, actor_id=None, email=email, display_name="Guessed", role="observer", password=PASSWORD)
        db.commit()
    limit = get_settings().max_failures_per_account
    answers: list[str] = []
    start = threading.Barrier(30)

    def guess(number: int) -> None:
        with Session(committed) as db:
            start.wait()
            password = PASSWORD if number == 29 else f"wrong guess number {number}"
            try:
                service.authenticate(db, get_settings(), email=email, password=password, address=f"192.0.2.{number}")
                answers.append("signed in")
            except TooManyAttempts:
                answers.append("refused")
            except DomainError:
                answers.append("checked")
            except Exception as error:  # noqa: BLE001 - any other error fails the test below, with its name
                answers.append(f"error {type(error).__name__}: {error}")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(answers)
    assert set(counts) <= {"signed in", "refused", "checked"}, counts
    assert counts["checked"] + counts["signed in"] <= limit, counts
    assert counts["refused"] >= 30 - limit


def test_reset_mail_for_one_account_cannot_be_flooded(session: Session) -> None:
    person = make_user(session)
    settings = get_settings()
    answers = Counter()
    for _ in range(28):
        try:
            service.request_password_reset(session, settings, email=person.email, language="en", address="192.0.2.50")
            answers["accepted"] += 1
        except TooManyAttempts:
            answers["refused"] += 1
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == person.email)).all()
    assert len(sent) == settings.max_resets_per_account == answers["accepted"]
    assert answers["refused"] == 28 - settings.max_resets_per_account


def test_one_address_cannot_ask_for_resets_without_end(session: Session) -> None:
    settings = get_settings()
    refused = 0
    for number in range(settings.max_resets_per_address + 5):
        try:
            service.request_password_reset(
                session, settings, email=f"someone{number}@example.org", language="en", address="192.0.2.51"
            )
        except TooManyAttempts:
            refused += 1
    assert refused == 5


def test_the_reset_page_says_when_to_try_again(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import page_csrf, soup

    person = make_user(session)
    for _ in range(get_settings().max_resets_per_account):
        client.post("/auth/reset", data={"email": person.email, "csrf_token": page_csrf(client, "/auth/reset")})
    response = client.post("/auth/reset", data={"email": person.email, "csrf_token": page_csrf(client, "/auth/reset")})
    assert response.status_code == 429
    assert "Too many reset requests" in soup(response.text).get_text()
    assert session.exec(select(User).where(col(User.email) == person.email)).one()
