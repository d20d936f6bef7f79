"""Delivery through a real SMTP server: retries with back-off, exactly once, intact text, calendar parts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from app.core import clock
from app.outbox import service as outbox
from app.outbox.models import OutboxMessage
from tests.outbox.conftest import SmtpServer, settings_for
from tests.support.live import ROOT

FRENCH_SUBJECT = "Réunion du comité : l'ordre du jour — « sécurité maritime »"
FRENCH_BODY = (
    "Bonjour Hélène,\n\nLa réunion des points focaux aura lieu à Nouméa.\n"
    "Merci de confirmer votre présence avant vendredi.\n\nÀ bientôt,\nLe secrétariat ✓"
)
ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//PRCN//Portal//FR",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:meeting-42@prcn.example.org",
        "DTSTAMP:20250301T000000Z",
        "DTSTART:20250310T220000Z",
        "DTEND:20250310T233000Z",
        "SUMMARY:Réunion du groupe de travail",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def queue_committed(
    engine: Engine,
    *,
    subject: str,
    body: str = "Hello.",
    calendar: str | None = None,
    recipient: str = "focal.point@example.org",
) -> int:
    with Session(engine, expire_on_commit=False) as db:
        message = outbox.queue(db, recipient=recipient, subject=subject, body=body, calendar=calendar)
        db.commit()
        assert message.id is not None
        return message.id


def sender_pass(engine: Engine, server: SmtpServer) -> int:
    """One pass of a sender, in its own session, as `python -m app send-outbox --once` runs it."""
    with Session(engine, expire_on_commit=False) as db:
        return outbox.send_due(db, settings_for(server))


def load(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as db:
        message = db.get(OutboxMessage, message_id)
        assert message is not None
        return message


def make_due(engine: Engine, message_id: int) -> None:
    """Moves the next attempt into the past, as if the back-off had elapsed."""
    with Session(engine) as db:
        db.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(next_attempt_at=clock.now() - timedelta(seconds=1))
        )
        db.commit()


def test_message_queued_while_smtp_is_down_is_delivered_once_when_it_is_back(
    outbox_engine: Engine, smtp_down: SmtpServer
) -> None:
    message_id = queue_committed(outbox_engine, subject="Your account on PRCN")

    before = clock.now()
    assert sender_pass(outbox_engine, smtp_down) == 0
    after = clock.now()
    failed = load(outbox_engine, message_id)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "Connection refused" in failed.last_error or "ConnectionRefused" in failed.last_error
    assert before + timedelta(minutes=1) <= failed.next_attempt_at <= after + timedelta(minutes=1)

    smtp_down.start()
    assert sender_pass(outbox_engine, smtp_down) == 0, "sent before its back-off elapsed"
    assert smtp_down.mailbox.messages == []

    make_due(outbox_engine, message_id)
    assert sender_pass(outbox_engine, smtp_down) == 1
    assert smtp_down.mailbox.subjects() == ["Your account on PRCN"]
    assert smtp_down.mailbox.recipients == [["focal.point@example.org"]]
    sent = load(outbox_engine, message_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    assert sent.sent_at is not None

    make_due(outbox_engine, message_id)
    assert sender_pass(outbox_engine, smtp_down) == 0
    assert smtp_down.mailbox.subjects() == ["Your account on PRCN"]


def test_back_off_doubles_from_one_minute_to_every_thirty(outbox_engine: Engine, smtp_down: SmtpServer) -> None:
    message_id = queue_committed(outbox_engine, subject="Back-off")
    waits = []
    for _ in range(7):
        make_due(outbox_engine, message_id)
        started = clock.now()
        sender_pass(outbox_engine, smtp_down)
        finished = clock.now()
        message = load(outbox_engine, message_id)
        assert started <= message.next_attempt_at - outbox.retry_delay(message.attempts) <= finished
        waits.append(round((message.next_attempt_at - finished).total_seconds() / 60))
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    assert load(outbox_engine, message_id).attempts == 7


def test_sender_keeps_trying_through_a_day_long_outage_and_gives_up_after_five_days(
    outbox_engine: Engine, smtp_down: SmtpServer
) -> None:
    """Each failed pass waits its back-off (the clock is moved by ageing the message): a mail server down for a day
    loses nothing; give-up comes after five days, as mail servers do."""
    message_id = queue_committed(outbox_engine, subject="Patience")
    ages_while_pending = []
    for _ in range(400):
        sender_pass(outbox_engine, smtp_down)
        message = load(outbox_engine, message_id)
        if message.status != "pending":
            break
        ages_while_pending.append(clock.now() - message.created_at)
        wait = message.next_attempt_at - clock.now()
        with Session(outbox_engine) as db:
            db.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id)
                .values(created_at=message.created_at - wait, next_attempt_at=message.next_attempt_at - wait)
            )
            db.commit()
    message = load(outbox_engine, message_id)
    assert message.status == "failed"
    assert max(ages_while_pending) >= timedelta(days=4, hours=23)
    assert message.attempts == len(ages_while_pending) + 1

    smtp_down.start()
    make_due(outbox_engine, message_id)
    assert sender_pass(outbox_engine, smtp_down) == 0, "a failed message was tried again"
    assert smtp_down.mailbox.messages == []


def test_french_subject_and_body_arrive_intact(outbox_engine: Engine, smtp: SmtpServer) -> None:
    queue_committed(outbox_engine, subject=FRENCH_SUBJECT, body=FRENCH_BODY, recipient="helene@example.org")
    assert sender_pass(outbox_engine, smtp) == 1
    [received] = smtp.mailbox.messages
    assert received["Subject"] == FRENCH_SUBJECT
    assert received["To"] == "helene@example.org"
    assert received["From"] == "portal@prcn.example.org"
    assert received["Message-ID"]
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().rstrip("\n") == FRENCH_BODY


def test_calendar_arrives_as_a_text_calendar_attachment(outbox_engine: Engine, smtp: SmtpServer) -> None:
    queue_committed(
        outbox_engine, subject="Invitation : groupe de travail", body="Voir l'invitation jointe.", calendar=ICS
    )
    assert sender_pass(outbox_engine, smtp) == 1
    [received] = smtp.mailbox.messages
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().rstrip("\n") == "Voir l'invitation jointe."
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invite.ics"
    raw = attachment.get_payload(decode=True)
    assert isinstance(raw, bytes)
    text = raw.decode("utf-8")  # RFC 5545: iCalendar text is UTF-8
    assert text.replace("\r\n", "\n") == ICS.replace("\r\n", "\n")
    assert "SUMMARY:Réunion du groupe de travail" in text


def run_senders(engine: Engine, server: SmtpServer, count: int) -> tuple[list[int], list[BaseException]]:
    """`count` senders in threads, each with its own sessions, passing until nothing is left to claim."""
    start = threading.Barrier(count)
    delivered = [0] * count
    errors: list[BaseException] = []

    def sender(number: int) -> None:
        start.wait()
        try:
            while True:
                with Session(engine, expire_on_commit=False) as db:
                    sent = outbox.send_due(db, settings_for(server), limit=3)
                if sent == 0:
                    return
                delivered[number] += sent
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a sender did not finish"
    return delivered, errors


def test_concurrent_senders_deliver_each_message_exactly_once(outbox_engine: Engine, smtp: SmtpServer) -> None:
    subjects = [f"Action item {n:02d}" for n in range(30)]
    for subject in subjects:
        queue_committed(outbox_engine, subject=subject)

    delivered, errors = run_senders(outbox_engine, smtp, 4)

    assert errors == []
    assert sum(delivered) == 30
    assert Counter(smtp.mailbox.subjects()) == Counter(subjects)
    message_ids = [str(message["Message-ID"]) for message in smtp.mailbox.messages]
    assert len(set(message_ids)) == 30
    with Session(outbox_engine) as db:
        rows = db.exec(select(OutboxMessage)).all()
    assert sorted((row.status, row.attempts) for row in rows) == [("sent", 1)] * 30
    assert all(row.claim is None and row.claimed_until is None for row in rows)


def test_send_outbox_command_delivers_once_and_in_a_loop(
    outbox_url: str, outbox_engine: Engine, smtp: SmtpServer
) -> None:
    """`python -m app send-outbox --once`, then the looping sender picking up a message queued later."""
    env = {
        **os.environ,
        "PRCN_DATABASE_URL": outbox_url,
        "PRCN_SMTP_HOST": "127.0.0.1",
        "PRCN_SMTP_PORT": str(smtp.port),
        "PRCN_MAIL_FROM": "portal@prcn.example.org",
    }
    queue_committed(outbox_engine, subject="Sent by the command")
    once = subprocess.run(
        [sys.executable, "-m", "app", "send-outbox", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert once.returncode == 0, once.stderr
    assert "1 message(s) sent." in once.stdout
    assert smtp.mailbox.subjects() == ["Sent by the command"]

    loop = subprocess.Popen(
        [sys.executable, "-m", "app", "send-outbox"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        queue_committed(outbox_engine, subject="Picked up by the loop")
        deadline = time.monotonic() + 30
        while len(smtp.mailbox.messages) < 2 and time.monotonic() < deadline and loop.poll() is None:
            time.sleep(0.1)
    finally:
        loop.terminate()
        loop.wait(10)
    assert smtp.mailbox.subjects() == ["Sent by the command", "Picked up by the loop"]


def poison(engine: Engine, message_id: int) -> None:
    """Gives a queued message a subject no header can hold, as one written before subjects were kept to a line."""
    with Session(engine) as db:
        db.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(subject="Course: SAAT\nBcc: everyone@example.org")
        )
        db.commit()


def test_a_message_that_cannot_be_built_fails_alone_and_the_next_one_is_delivered(
    outbox_engine: Engine, smtp: SmtpServer
) -> None:
    poisoned = queue_committed(outbox_engine, subject="Course: SAAT")
    poison(outbox_engine, poisoned)
    reset = queue_committed(outbox_engine, subject="Reset your password", recipient="someone@example.org")

    assert sender_pass(outbox_engine, smtp) == 1

    assert smtp.mailbox.subjects() == ["Reset your password"]
    failed = load(outbox_engine, poisoned)
    assert failed.status == "failed", "a message that cannot be built is not tried again"
    assert "header" in failed.last_error.lower() or "linefeed" in failed.last_error.lower(), failed.last_error
    assert load(outbox_engine, reset).status == "sent"
    assert sender_pass(outbox_engine, smtp) == 0


def test_the_sender_lives_on_after_a_poisoned_message(
    outbox_url: str, outbox_engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    """`python -m app send-outbox` meets a message it cannot build, then delivers the ones queued after it."""
    poisoned = queue_committed(outbox_engine, subject="Course: SAAT")
    poison(outbox_engine, poisoned)
    env = {
        **os.environ,
        "PRCN_DATABASE_URL": outbox_url,
        "PRCN_SMTP_HOST": "127.0.0.1",
        "PRCN_SMTP_PORT": str(smtp.port),
        "PRCN_MAIL_FROM": "portal@prcn.example.org",
    }
    loop = subprocess.Popen(
        [sys.executable, "-m", "app", "send-outbox"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        later = queue_committed(outbox_engine, subject="Invitation: SME meeting")
        deadline = time.monotonic() + 60
        while load(outbox_engine, later).status != "sent":
            assert loop.poll() is None, f"the sender died: {loop.stderr.read() if loop.stderr else ''}"
            assert time.monotonic() < deadline, "the sender stopped delivering after the poisoned message"
            time.sleep(0.1)
        assert loop.poll() is None, "the sender died"
    finally:
        loop.terminate()
        loop.wait(10)
    assert smtp.mailbox.subjects() == ["Invitation: SME meeting"]
    assert load(outbox_engine, poisoned).status == "failed"


def test_an_address_the_server_refuses_for_good_fails_at_once_and_others_still_go(
    outbox_engine: Engine, smtp: SmtpServer
) -> None:
    smtp.mailbox.unknown.add("gone@example.org")
    refused = queue_committed(outbox_engine, subject="Invitation", recipient="gone@example.org")
    fine = queue_committed(outbox_engine, subject="Invitation", recipient="here@example.org")

    assert sender_pass(outbox_engine, smtp) == 1

    failed = load(outbox_engine, refused)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in failed.last_error
    assert load(outbox_engine, fine).status == "sent"


def test_line_breaks_and_control_characters_never_reach_a_subject(outbox_engine: Engine, smtp: SmtpServer) -> None:
    message_id = queue_committed(outbox_engine, subject="SAAT\u2028course\r\nBcc: x@example.org\x00 \u2029 Nadi")

    assert sender_pass(outbox_engine, smtp) == 1

    assert smtp.mailbox.subjects() == ["SAAT course Bcc: x@example.org Nadi"]
    assert smtp.mailbox.recipients == [["focal.point@example.org"]]
    assert load(outbox_engine, message_id).status == "sent"


def test_an_invitation_answers_to_the_organizer_its_calendar_names(outbox_engine: Engine, smtp: SmtpServer) -> None:
    organized = ICS.replace(
        "UID:meeting-42@prcn.example.org",
        "UID:meeting-42@prcn.example.org\r\nORGANIZER;CN=Réseau Pacifique:mailto:coordinator@prcn.example.org",
    )
    queue_committed(outbox_engine, subject="Invitation", body="Voir l'invitation jointe.", calendar=organized)
    assert sender_pass(outbox_engine, smtp) == 1
    [received] = smtp.mailbox.messages
    assert received["Reply-To"] == "coordinator@prcn.example.org"
    assert received["From"] == "portal@prcn.example.org"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_param("method") == "REQUEST"
