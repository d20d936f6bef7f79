"""Answers to invitations: on the meeting's page, or from the email with one link per answer, used once, until
the meeting ends or a newer email replaces it."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core import clock
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden, Localised
from app.core.i18n import N_
from app.meetings import mail
from app.meetings.models import (
    ANSWERS,
    AnswerLink,
    Invitation,
    Meeting,
)

ANSWER_LINK_REPLIES = {"attending": "attend", "not_attending": "decline"}
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reminder_answer_links(
    session: Session, settings: Settings, invitation: Invitation, meeting: Meeting
) -> mail.AnswerLinks | None:
    """One-click answers for a reminder of the meeting, beside those of the invitation email (which keep working);
    None when the meeting can no longer be answered. The caller commits."""
    if meeting.cancelled or has_ended(meeting):
        return None
    return answer_links(session, settings, invitation, meeting, replace=False)


def answer_links(
    session: Session, settings: Settings, invitation: Invitation, meeting: Meeting, *, replace: bool = True
) -> mail.AnswerLinks:
    """New one-click answers for an invitation email; unless `replace` is False, the unused links of earlier emails
    stop working. The caller commits."""
    now = clock.now()
    if replace:
        session.execute(
            update(AnswerLink)
            .where(
                col(AnswerLink.invitation_id) == invitation.id,
                col(AnswerLink.used_at).is_(None),
                col(AnswerLink.replaced_at).is_(None),
            )
            .values(replaced_at=now)
        )
    urls = {}
    for reply, name in ANSWER_LINK_REPLIES.items():
        token = secrets.token_urlsafe(32)
        session.add(
            AnswerLink(
                token_hash=link_hash(token),
                invitation_id=id_of(invitation),
                reply=reply,
                created_at=now,
                expires_at=meeting.ends_at,
            )
        )
        urls[name] = f"{settings.base_url}/answer/{token}"
    return mail.AnswerLinks(attend=urls["attend"], decline=urls["decline"])


def _refusal(heading: str, message: str, status: int, **params: object) -> DomainError:
    """A refusal with its own heading, so the page says plainly what is wrong with the link."""
    error = DomainError(message, status_code=status, **params)
    error.heading = heading
    return error


@dataclass(frozen=True)
class LinkAnswer:
    """An answer link that can still be used: its row, the invitation, the meeting and the invited person."""

    link: AnswerLink
    invitation: Invitation
    meeting: Meeting
    person: User


def open_answer_link(session: Session, *, token: str, visitor: User | None) -> LinkAnswer:
    """The answer a link gives, if it can still give it; a refusal with its own heading otherwise. Changes nothing."""
    row = (
        session.exec(
            select(AnswerLink, Invitation, Meeting, User)
            .join(Invitation, col(Invitation.id) == AnswerLink.invitation_id)
            .join(Meeting, col(Meeting.id) == Invitation.meeting_id)
            .join(User, col(User.id) == Invitation.user_id)
            .where(AnswerLink.token_hash == link_hash(token))
        ).first()
        if TOKEN_SHAPE.fullmatch(token)
        else None
    )
    if row is None:
        raise _refusal(
            N_("Link not recognised"),
            N_("This answer link is not one the portal sent, or it was copied incompletely. Nothing has been changed."),
            404,
        )
    link, invitation, meeting, person = row
    if visitor is not None and visitor.id != person.id:
        raise _refusal(
            N_("Signed in as someone else"),
            N_(
                "You are signed in as %(name)s, and this link answers for someone else. Nothing has been changed. "
                "Sign out, then open the link again, or answer on the meeting's page."
            ),
            403,
            name=visitor.display_name,
        )
    if not person.is_active:
        raise Forbidden(N_("This account is deactivated."))
    title = Localised(meeting.title_en, meeting.title_fr or meeting.title_en)
    if link.used_at is not None:
        raise _refusal(
            N_("Link already used"),
            N_(
                "This link has been used already, and its answer was recorded. Nothing has been changed. To change "
                "your answer, use the other link of the email or the meeting's page."
            ),
            409,
        )
    if link.replaced_at is not None:
        raise _refusal(
            N_("Link replaced"),
            N_(
                "A newer email about this meeting replaced this link. Nothing has been changed. Use the links of the "
                "latest email, or answer on the meeting's page."
            ),
            410,
        )
    if meeting.cancelled:
        raise _refusal(
            N_("Meeting cancelled"),
            N_('The meeting "%(title)s" has been cancelled: there is nothing to answer. Nothing has been changed.'),
            409,
            title=title,
        )
    if has_ended(meeting):
        raise _refusal(
            N_("Meeting over"),
            N_('The meeting "%(title)s" has ended: answers are closed. Nothing has been changed.'),
            410,
            title=title,
        )
    if link.expires_at <= clock.now():
        raise _refusal(
            N_("Link expired"),
            N_("This link has expired. Nothing has been changed. Answer on the meeting's page."),
            410,
        )
    return LinkAnswer(link=link, invitation=invitation, meeting=meeting, person=person)


def answer_by_link(session: Session, *, token: str, visitor: User | None) -> LinkAnswer:
    """Uses an answer link: marks it used and records its answer by the rule of answer(), in one transaction; of two
    requests with the same link only one answers."""
    found = open_answer_link(session, token=token, visitor=visitor)
    used = session.execute(
        update(AnswerLink)
        .where(col(AnswerLink.id) == found.link.id, col(AnswerLink.used_at).is_(None))
        .values(used_at=clock.now())
    )
    if getattr(used, "rowcount", 0) != 1:
        session.rollback()
        raise _refusal(
            N_("Link already used"),
            N_(
                "This link has been used already, and its answer was recorded. Nothing has been changed. To change "
                "your answer, use the other link of the email or the meeting's page."
            ),
            409,
        )
    try:
        answer(session, user=found.person, meeting=found.meeting, reply=found.link.reply, by_email=True)
    except DomainError:
        session.rollback()
        raise
    return found


def has_ended(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.ends_at <= (now or clock.now())


def answer(
    session: Session,
    *,
    user: User,
    meeting: Meeting,
    reply: str,
    delegate_name: str = "",
    delegate_email: str = "",
    by_email: bool = False,
) -> Invitation:
    """Records the invited person's answer. The row is locked while it changes, so two answers sent at the
    same moment are applied one after the other and the last one stands. `by_email`: given with a link of the
    invitation email (the audit says so)."""
    if reply not in ANSWERS:
        raise DomainError(N_("Answer attending, not attending or delegating."))
    name, email = delegate_name.strip(), delegate_email.strip()
    if reply == "delegated":
        if not name or len(name) > 120:
            raise DomainError(N_("Give the name of the colleague you delegate to."))
        if email and (parseaddr(email)[1] != email or "@" not in email or len(email) > 254):
            raise DomainError(N_("The colleague's email address is not valid."))
    else:
        name, email = "", ""
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled."))
    if has_ended(meeting):
        raise Conflict(N_("This meeting has ended."))
    invitation = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id).with_for_update()
    ).first()
    if invitation is None:
        raise Forbidden(N_("You are not invited to this meeting."))
    before = {"answer": invitation.answer}
    invitation.answer, invitation.delegate_name, invitation.delegate_email = reply, name, email
    invitation.answered_at = clock.now()
    session.add(invitation)
    audit.record(
        session,
        actor_id=user.id,
        action="answer",
        entity="invitation",
        entity_id=invitation.id,
        before=before,
        after={"answer": reply, "delegate": name, **({"via": "email link"} if by_email else {})},
    )
    session.commit()
    return invitation
