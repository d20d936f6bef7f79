"""Queueing in the caller's transaction, the retry schedule and when the outbox gives up."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth import service as auth
from app.auth.models import OneTimeToken, User
from app.core import clock
from app.core.config import get_settings
from app.outbox import service as outbox
from app.outbox.models import OutboxMessage
from tests.factories import make_user


def messages_to(engine: Engine, recipient: str) -> list[OutboxMessage]:
    """What a sender, on its own connection, can see for `recipient`."""
    with Session(engine) as other:
        return list(other.exec(select(OutboxMessage).where(OutboxMessage.recipient == recipient)).all())


def reset_tokens(engine: Engine, user_id: int | None) -> list[OneTimeToken]:
    with Session(engine) as other:
        return list(
            other.exec(
                select(OneTimeToken).where(OneTimeToken.user_id == user_id, OneTimeToken.purpose == "reset")
            ).all()
        )


def test_reset_request_queues_its_email_when_it_commits(outbox_engine: Engine) -> None:
    """The reset link and the email carrying it are committed together; the emailed link is the stored one."""
    with Session(outbox_engine, expire_on_commit=False) as db:
        user = make_user(db, role="observer")
        auth.request_password_reset(db, get_settings(), email=user.email.upper(), language="en")

    [message] = messages_to(outbox_engine, user.email)
    assert message.status == "pending" and message.attempts == 0
    assert message.subject.startswith("Reset your password")
    link = re.search(r"/auth/reset/(\S+)", message.body)
    assert link is not None, message.body
    [token] = reset_tokens(outbox_engine, user.id)
    assert token.token_hash == auth.digest(link.group(1))


def test_rolled_back_reset_request_leaves_no_email(outbox_engine: Engine) -> None:
    """Inside a transaction that is rolled back, neither the reset link nor its email survive."""
    with Session(outbox_engine, expire_on_commit=False) as db:
        user = make_user(db, role="observer")
    with outbox_engine.connect() as connection:
        transaction = connection.begin()
        db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        auth.request_password_reset(db, get_settings(), email=user.email, language="en")
        assert [m.recipient for m in db.exec(select(OutboxMessage)).all()] == [user.email]
        assert messages_to(outbox_engine, user.email) == [], "a sender saw an uncommitted message"
        db.close()
        transaction.rollback()

    assert messages_to(outbox_engine, user.email) == []
    assert reset_tokens(outbox_engine, user.id) == []


def test_invitation_and_its_email_are_one_transaction(outbox_engine: Engine) -> None:
    """An invited account exists exactly when its welcome email is queued."""
    with Session(outbox_engine, expire_on_commit=False) as db:
        admin = make_user(db, role="admin")
    with outbox_engine.connect() as connection:
        transaction = connection.begin()
        db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        auth.invite_user(
            db,
            get_settings(),
            email="rolled.back@example.org",
            display_name="Rolled Back",
            role="observer",
            member_state_id=None,
            organisation="",
            actor_id=admin.id,
        )  # type: ignore[arg-type]
        db.close()
        transaction.rollback()
    assert messages_to(outbox_engine, "rolled.back@example.org") == []

    with Session(outbox_engine, expire_on_commit=False) as db:
        auth.invite_user(
            db,
            get_settings(),
            email="kept@example.org",
            display_name="Kept",
            role="observer",
            member_state_id=None,
            organisation="",
            actor_id=admin.id,
        )  # type: ignore[arg-type]
    [message] = messages_to(outbox_engine, "kept@example.org")
    assert "/auth/link/" in message.body
    with Session(outbox_engine) as other:
        assert other.exec(select(User).where(User.email == "rolled.back@example.org")).first() is None
        assert other.exec(select(User).where(User.email == "kept@example.org")).first() is not None


def test_reset_request_for_an_unknown_address_queues_nothing(session: Session) -> None:
    auth.request_password_reset(session, get_settings(), email="nobody@example.org", language="en")
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "nobody@example.org")).all() == []


def test_queued_message_disappears_with_a_rollback(session: Session) -> None:
    outbox.queue(session, recipient="someone@example.org", subject="Not this one", body="Never sent.")
    session.flush()
    assert session.exec(select(OutboxMessage).where(OutboxMessage.subject == "Not this one")).all() != []
    session.rollback()
    assert session.exec(select(OutboxMessage).where(OutboxMessage.subject == "Not this one")).all() == []


def test_retry_delay_doubles_then_stays_at_thirty_minutes() -> None:
    assert [outbox.retry_delay(n) for n in range(1, 10)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 30, 30, 30, 30)
    ]
    # Five days of tries every half hour: still half an hour, no overflow.
    assert outbox.retry_delay(300) == timedelta(minutes=30)


def failing_message(session: Session, *, age: timedelta, attempts: int) -> OutboxMessage:
    created = clock.now() - age
    message = OutboxMessage(
        recipient="far@example.org",
        subject="Still trying",
        body="…",
        created_at=created,
        next_attempt_at=created,
        attempts=attempts,
    )
    session.add(message)
    session.commit()
    return message


def test_message_failing_a_day_after_creation_is_still_retried(session: Session) -> None:
    message = failing_message(session, age=timedelta(days=1, hours=1), attempts=55)
    outbox.record_result(session, message, "ConnectionRefusedError: [Errno 111] Connection refused")
    session.refresh(message)
    assert message.status == "pending"
    assert message.attempts == 56
    assert message.next_attempt_at > clock.now()
    assert message.last_error.startswith("ConnectionRefusedError")


def test_message_is_marked_failed_after_the_give_up_limit(session: Session) -> None:
    assert timedelta(days=4) <= outbox.GIVE_UP_AFTER
    message = failing_message(session, age=outbox.GIVE_UP_AFTER, attempts=20)
    outbox.record_result(session, message, "SMTPRecipientsRefused: nobody here")
    session.refresh(message)
    assert message.status == "failed"
    assert message.attempts == 21
    assert "nobody here" in message.last_error


def test_success_clears_the_last_error(session: Session) -> None:
    message = failing_message(session, age=timedelta(minutes=3), attempts=2)
    message.last_error = "ConnectionRefusedError: earlier"
    outbox.record_result(session, message, None)
    session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, "")
    assert message.sent_at is not None


def queue_many(engine: Engine, count: int) -> list[int]:
    with Session(engine, expire_on_commit=False) as db:
        messages = [
            outbox.queue(db, recipient=f"p{n}@example.org", subject=f"Notice {n}", body="…") for n in range(count)
        ]
        db.commit()
        return [message.id for message in messages if message.id is not None]


def test_a_claim_takes_at_most_its_limit_oldest_first(outbox_engine: Engine) -> None:
    ids = queue_many(outbox_engine, 7)
    with Session(outbox_engine, expire_on_commit=False) as db:
        passes = [[message.id for message in outbox.claim_due(db, limit=3)] for _ in range(4)]
    assert passes == [ids[0:3], ids[3:6], ids[6:7], []]


def test_messages_of_a_sender_that_died_are_claimed_again_after_the_lease(outbox_engine: Engine) -> None:
    ids = queue_many(outbox_engine, 2)
    with Session(outbox_engine, expire_on_commit=False) as db:
        assert [message.id for message in outbox.claim_due(db)] == ids
    with Session(outbox_engine, expire_on_commit=False) as db:
        assert outbox.claim_due(db) == [], "claimed twice within the lease"
        later = clock.now() + outbox.CLAIM_LEASE + timedelta(seconds=1)
        assert [message.id for message in outbox.claim_due(db, now=later)] == ids
