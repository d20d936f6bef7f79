"""Queue messages in the caller's transaction; claim, deliver and retry them from any number of senders."""

from __future__ import annotations

import json
import logging
import re
import secrets
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from icalendar import Calendar
from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from app.core import clock
from app.core.config import Settings
from app.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(minutes=30)
# A mail server down for a day or a weekend loses nothing: RFC 5321 (4.5.4.1) advises 4–5 days before giving up.
GIVE_UP_AFTER = timedelta(days=5)
# What cannot stand in a header line: control characters, and line and paragraph separators.
NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """The text as one header line: control characters and line breaks become single spaces."""
    return " ".join(NOT_IN_A_LINE.sub(" ", text).split())


def queue(
    session: Session,
    *,
    recipient: str,
    subject: str,
    body: str,
    calendar: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Adds a message to the outbox; it is sent only if the caller's transaction commits. With `html`, the message
    is sent as multipart/alternative: the plain text first, the HTML as the richer alternative. `headers` are extra
    header lines (List-Unsubscribe, say), each kept to one line."""
    now = clock.now()
    message = OutboxMessage(
        recipient=recipient,
        subject=one_line(subject)[:255],
        body=body,
        html=html,
        calendar=calendar,
        headers=json.dumps({one_line(k): one_line(v) for k, v in headers.items()}) if headers else None,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Doubling back-off: 1, 2, 4, 8, 16 minutes, then every 30 minutes (the doubling stops there, so hundreds of
    tries never overflow)."""
    doublings = min(max(attempts - 1, 0), 16)
    return min(FIRST_RETRY * 2**doublings, LONGEST_WAIT)


def claim_due(session: Session, *, limit: int = 20, now: datetime | None = None) -> list[OutboxMessage]:
    """Claims due messages for this sender; rows another sender holds are skipped, never sent twice.

    On PostgreSQL the due rows are selected FOR UPDATE SKIP LOCKED, then claimed while still locked. On
    SQLite the claim is one UPDATE, the first statement of its transaction, so that it takes the write lock
    before it reads: a SELECT first would let a second sender fail with "database is locked" on a stale
    snapshot.
    """
    now = now or clock.now()
    claimable = (
        col(OutboxMessage.status) == "pending",
        col(OutboxMessage.next_attempt_at) <= now,
        or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now),
    )
    due = (
        select(OutboxMessage.id)
        .where(*claimable)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # Not `IN (subquery)`: PostgreSQL may run the subquery again for every row and claim past `limit`.
        ids = list(session.exec(due).all())
        if not ids:
            session.commit()
            return []
        chosen = col(OutboxMessage.id).in_(ids)
    else:
        chosen = col(OutboxMessage.id).in_(due.scalar_subquery())
    claim = secrets.token_hex(16)
    session.execute(
        update(OutboxMessage)
        .where(chosen, *claimable)
        .values(claim=claim, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return list(
        session.exec(select(OutboxMessage).where(OutboxMessage.claim == claim).order_by(col(OutboxMessage.id))).all()
    )


def build_email(message: OutboxMessage, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    reply_to = (_ics_organizer(message.calendar) if message.calendar else "") or settings.mail_reply_to
    if reply_to:
        email["Reply-To"] = reply_to
    for name, value in json.loads(message.headers or "{}").items():
        email[name] = value
    email.set_content(message.body)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    if message.calendar:
        email.add_attachment(
            message.calendar.encode(),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": _ics_method(message.calendar)},
        )
    return email


def _ics_organizer(calendar: str) -> str:
    """The address of the calendar's ORGANIZER (a meeting's coordinator, or the configured reply-to address), so
    that answering the email reaches whom the invitation names; empty when it names none or cannot be read (the
    calendar is still sent as it is)."""
    try:
        events = Calendar.from_ical(calendar).walk("VEVENT")
    except ValueError:
        return ""
    for component in events:
        organizer = str(component.get("ORGANIZER", ""))
        if organizer.lower().startswith("mailto:"):
            return one_line(organizer[len("mailto:") :])
    return ""


def _ics_method(calendar: str) -> str:
    for line in calendar.splitlines():
        if line.startswith("METHOD:"):
            return line.split(":", 1)[1].strip()
    return "PUBLISH"


def deliver(email: EmailMessage, settings: Settings) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(email)


def record_result(session: Session, message: OutboxMessage, error: str | None, *, permanent: bool = False) -> None:
    """Marks a claimed message sent, or schedules its next attempt; gives up after GIVE_UP_AFTER, or at once when
    the error is `permanent` (a message that cannot be built, an address the server refuses for good).

    The outcome is written by an UPDATE that starts a fresh transaction (the reads of the claim are
    committed first), so that on SQLite a sender that has delivered a message cannot fail to record it.
    """
    now = clock.now()
    attempts = message.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "claim": None, "claimed_until": None}
    if error is None:
        values.update(status="sent", sent_at=now, last_error="")
    else:
        next_attempt_at = now + retry_delay(attempts)
        values.update(last_error=error[:500], next_attempt_at=next_attempt_at)
        if permanent or next_attempt_at - message.created_at > GIVE_UP_AFTER:
            values["status"] = "failed"
    message_id = message.id
    session.commit()
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.expire(message)


def send_due(session: Session, settings: Settings, *, limit: int = 20) -> int:
    """One pass of the sender: claims what is due, delivers each message, records the outcome. A message that
    fails is marked so, alone: the pass goes on with the next one."""
    sent = 0
    for message in claim_due(session, limit=limit):
        try:
            deliver(build_email(message, settings), settings)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("outbox message %s not delivered: %s", message.id, error)
            record_result(session, message, f"{type(error).__name__}: {error}", permanent=refused_for_good(error))
        except Exception as error:
            # Building or sending this message raised what no retry will change (a header it cannot hold, say).
            log.exception("outbox message %s cannot be sent", message.id)
            record_result(session, message, f"{type(error).__name__}: {error}", permanent=True)
        else:
            record_result(session, message, None)
            sent += 1
    return sent


def refused_for_good(error: Exception) -> bool:
    """Whether the mail server refused the message with a permanent (5xx) answer: retrying cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, smtplib.SMTPNotSupportedError)


def list_messages(session: Session, *, limit: int = 100) -> tuple[list[OutboxMessage], dict[str, int]]:
    """The newest messages and the count per status, for the admin outbox page."""
    messages = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)).all()
    counts = dict(session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return list(messages), counts


def get_message(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)
