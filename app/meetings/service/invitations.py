"""Inviting states and observers to a meeting, and the emails and calendar files that carry the invitation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import region
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError
from app.core.i18n import N_
from app.governance.models import Body, WorkingGroup
from app.meetings import calendar, mail
from app.meetings.models import (
    Invitation,
    Meeting,
    MeetingInvitee,
)
from app.meetings.service.agendas import agenda
from app.meetings.service.answers import answer_links, has_ended
from app.meetings.service.rights import member_states, reads_members_part, require_runner, visible_agenda
from app.members.models import MemberState
from app.outbox import service as outbox


def sent_invitations(session: Session, meeting: Meeting) -> list[Invitation]:
    return [i for i in invitations_of(session, meeting) if i.sent_sequence is not None]


def told_of_cancellation(session: Session, meeting: Meeting) -> list[User]:
    """Who receives the cancellation of a meeting: everyone whose invitation was sent."""
    ids = [i.user_id for i in sent_invitations(session, meeting)]
    return list(session.exec(select(User).where(col(User.id).in_(ids)).order_by(col(User.display_name))).all())


def invitations_of(session: Session, meeting: Meeting) -> list[Invitation]:
    return list(
        session.exec(select(Invitation).where(Invitation.meeting_id == meeting.id).order_by(col(Invitation.id))).all()
    )


def invite(
    session: Session,
    settings: Settings,
    *,
    user: User,
    meeting: Meeting,
    state_ids: Sequence[int],
    observer_ids: Sequence[int] = (),
) -> int:
    """Invites the focal points of the chosen states and the chosen observers, and emails everyone invited
    who has not received the current version yet. Returns how many emails were queued."""
    require_runner(user)
    if meeting.cancelled:
        raise Conflict(N_("This meeting is cancelled."))
    known = {
        row.state_id
        for row in session.exec(select(MeetingInvitee).where(MeetingInvitee.meeting_id == meeting.id)).all()
    }
    states = set(chosen_states(session, state_ids))
    for state_id in sorted(states - known):
        session.add(MeetingInvitee(meeting_id=id_of(meeting), state_id=state_id))
    everyone = known | states
    people = list(
        session.exec(
            select(User).where(
                User.is_active == True,  # noqa: E712
                ((col(User.role) == Role.focal_point) & col(User.member_state_id).in_(everyone))
                | ((col(User.role) == Role.observer) & col(User.id).in_(list(observer_ids))),
            )
        ).all()
    )
    if len([p for p in people if p.role == Role.observer]) != len(set(observer_ids)):
        raise DomainError(N_("Choose observers from the list."))
    existing = {invitation.user_id: invitation for invitation in invitations_of(session, meeting)}
    for person in people:
        if person.id not in existing:
            invitation = Invitation(
                meeting_id=id_of(meeting),
                user_id=id_of(person),
                state_id=person.member_state_id if person.role == Role.focal_point else None,
            )
            session.add(invitation)
            existing[id_of(person)] = invitation
    session.flush()
    due = [i for i in existing.values() if i.sent_sequence != meeting.ics_sequence]
    send_invitations(session, settings, meeting, due)
    audit.record(
        session,
        actor_id=user.id,
        action="invite",
        entity="meeting",
        entity_id=meeting.id,
        after={"states": sorted(everyone), "observers": sorted(observer_ids), "emails": len(due)},
    )
    session.commit()
    return len(due)


def location(meeting: Meeting) -> str:
    return ", ".join(part for part in (meeting.venue, meeting.city, meeting.link) if part)


def _owner_title(session: Session, meeting: Meeting, language: str) -> str:
    """The name of the body or working group the meeting belongs to, if any."""
    if meeting.body_id is not None:
        body = session.get(Body, meeting.body_id)
        return body.name(language) if body else ""
    if meeting.working_group_id is not None:
        group = session.get(WorkingGroup, meeting.working_group_id)
        return group.name if group else ""
    return ""


def send_invitations(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    invitations: Sequence[Invitation],
    *,
    before: mail.Facts | None = None,
) -> None:
    """Queues an email with an iCalendar REQUEST (or CANCEL) to each invitation's person: in their language and
    zone, with the agenda items they may read and, unless the meeting is cancelled, two one-click answers.
    `before` is the meeting as it was before a change, for the email to say what changed."""
    if not invitations:
        return
    users = {
        user.id: user
        for user in session.exec(select(User).where(col(User.id).in_([i.user_id for i in invitations]))).all()
    }
    network = region.load(settings.seeds_dir)
    url = f"{settings.base_url}/meetings/{meeting.id}"
    items = agenda(session, meeting)
    members = member_states(session, meeting) if items else set()
    owners = {language: _owner_title(session, meeting, language) for language in {u.language for u in users.values()}}
    answerable = not meeting.cancelled and not has_ended(meeting)
    for invitation in invitations:
        person = users[invitation.user_id]
        title = meeting.title(person.language)
        shown, hidden = visible_agenda(items, attributions=reads_members_part(person, members))
        details = mail.Details(
            owner=owners[person.language],
            agenda=shown,
            members_only_items=hidden,
            links=answer_links(session, settings, invitation, meeting) if answerable else None,
            before=before,
        )
        subject, body, html = mail.meeting_message(
            user=person,
            meeting=meeting,
            title=title,
            url=url,
            portal=network.short_name(person.language),
            first=invitation.sent_sequence is None,
            details=details,
        )
        ics = calendar.invitation(
            meeting,
            title=title,
            url=url,
            organizer=calendar.Organizer(
                organizer_address(session, settings, meeting), network.short_name(person.language)
            ),
            attendee=person.email,
            location=location(meeting),
        )
        outbox.queue(session, recipient=person.email, subject=subject, body=body, html=html, calendar=ics)
        invitation.sent_sequence = meeting.ics_sequence
        session.add(invitation)


def chosen_states(session: Session, state_ids: Sequence[int]) -> list[int]:
    """The ids of the states chosen, all of them known, in order."""
    found = {
        id_of(state)
        for state in session.exec(select(MemberState).where(col(MemberState.id).in_(list(state_ids)))).all()
    }
    if len(found) != len(set(state_ids)):
        raise DomainError(N_("Choose states from the list."))
    return sorted(found)


def organizer_address(session: Session, settings: Settings, meeting: Meeting) -> str:
    """The address calendar files and invitation emails name as the meeting's organizer (see
    `organizer_addresses`); the creator is read once per session, however many invitations are sent."""
    if settings.mail_reply_to:
        return settings.mail_reply_to
    creator = session.get(User, meeting.created_by) if meeting.created_by is not None else None
    return creator.email if creator is not None and creator.is_active else settings.mail_from


def organizer_addresses(session: Session, settings: Settings, meetings: Sequence[Meeting]) -> dict[int | None, str]:
    """Each meeting's organizer address, in one query: the configured reply-to address when there is one, else the
    coordinator who created the meeting while their account is active (a person who can answer), else the
    sender address. The same for every file of a meeting, so that its CANCEL matches its REQUEST."""
    if settings.mail_reply_to:
        return {meeting.id: settings.mail_reply_to for meeting in meetings}
    creators = {m.created_by for m in meetings if m.created_by is not None}
    active = (
        dict(
            session.exec(
                select(User.id, User.email).where(col(User.id).in_(creators), User.is_active == True)  # noqa: E712
            ).all()
        )
        if creators
        else {}
    )
    return {meeting.id: active.get(meeting.created_by) or settings.mail_from for meeting in meetings}
