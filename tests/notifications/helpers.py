"""Arranging a quarter of the network's life, and delivering and reading what the jobs queued."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.core.db import id_of
from app.meetings.models import ActionItem, Invitation, Meeting
from app.outbox import service as outbox
from tests.factories import make_user, state
from tests.outbox.conftest import SmtpServer, settings_for

QUARTER = datetime(2027, 2, 1, tzinfo=UTC)
# 22:00 UTC on 10 March: 10:00 on 11 March in Fiji, 09:00 in Vanuatu, 11:00 in Samoa, 12:00 on 10 March in Hawaii.
STARTS = datetime(2027, 3, 10, 22, 0, tzinfo=UTC)


def person(db: Session, *, code: str = "FJ", zone: str, language: str = "en", role: str = "focal_point") -> User:
    user = make_user(
        db,
        role=role,
        email=f"{uuid.uuid4().hex[:10]}@example.org",
        member_state_id=state(db, code).id if role == "focal_point" else None,
        language=language,
    )
    user.time_zone = zone
    db.add(user)
    db.commit()
    return user


def meeting(db: Session, *, starts_at: datetime, created_at: datetime = QUARTER, **fields: Any) -> Meeting:
    found = Meeting(
        title_en=fields.pop("title_en", "Maritime security working group"),
        title_fr=fields.pop("title_fr", "Groupe de travail sur la sécurité maritime"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        host_zone="Pacific/Fiji",
        format="virtual",
        link="https://meet.example.org/maritime",
        uid=f"{uuid.uuid4().hex}@prcn.example.org",
        created_at=created_at,
        **fields,
    )
    db.add(found)
    db.commit()
    return found


def invite(db: Session, meeting: Meeting, *people: User, answer: str = "") -> None:
    for user in people:
        db.add(Invitation(meeting_id=id_of(meeting), user_id=id_of(user), state_id=user.member_state_id, answer=answer))
    db.commit()


def action_item(
    db: Session, meeting: Meeting, *, code: str, due_on: date, created_at: datetime = QUARTER
) -> ActionItem:
    item = ActionItem(
        meeting_id=id_of(meeting),
        owner_state_id=id_of(state(db, code)),
        text="Share the patrol schedule with the secretariat",
        due_on=due_on,
        created_at=created_at,
    )
    db.add(item)
    db.commit()
    return item


def deliver(db: Session, smtp: SmtpServer) -> None:
    """Runs the outbox sender until nothing is due."""
    settings = settings_for(smtp)
    while outbox.send_due(db, settings):
        pass


def received(smtp: SmtpServer, user: User) -> list[EmailMessage]:
    with smtp.mailbox.lock:
        return [m for m in smtp.mailbox.messages if str(m["To"]) == user.email]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def subject(message: EmailMessage) -> str:
    """The subject as a mail client shows it (a long one arrives folded, in encoded words, on several lines)."""
    return " ".join(str(message["Subject"]).split())
