"""Lists of the meetings a reader may see, and the private calendar feeds and files that carry them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core import clock, region
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import NotFound
from app.core.i18n import N_, gettext, in_language
from app.governance import service as governance
from app.governance.models import WorkingGroup
from app.meetings import calendar
from app.meetings.models import (
    CalendarFeed,
    Invitation,
    Meeting,
    MeetingInvitee,
)
from app.meetings.service.invitations import location, organizer_address, organizer_addresses
from app.meetings.service.rights import reader, visible_query, visible_statement


def upcoming(
    session: Session, *, user: User, limit: int = 50, skip: int = 0, now: datetime | None = None
) -> list[Meeting]:
    """The meetings the user may see that have not ended, soonest first: `limit` of them after the first `skip`."""
    return _timeline(session, user, ended=False, limit=limit, skip=skip, now=now)


def past(session: Session, *, user: User, limit: int = 50, skip: int = 0, now: datetime | None = None) -> list[Meeting]:
    """The meetings the user may see that have ended, latest first: `limit` of them after the first `skip`."""
    return _timeline(session, user, ended=True, limit=limit, skip=skip, now=now)


def _timeline(
    session: Session, user: User, *, ended: bool, limit: int, skip: int, now: datetime | None
) -> list[Meeting]:
    kind, values = reader(user)
    params = {**values, "now": now or clock.now(), "skip": skip, "limit": limit}
    return list(session.exec(_timeline_statement(kind, ended=ended), params=params).all())


@cache
def _timeline_statement(kind: str, *, ended: bool) -> Any:
    """The meetings a kind of reader may see that have ended (latest first) or not (soonest first), a page of them:
    built once per kind, since every list of meetings runs it."""
    query = visible_statement(kind)
    if ended:
        query = query.where(col(Meeting.ends_at) < bindparam("now")).order_by(
            col(Meeting.starts_at).desc(), col(Meeting.id).desc()
        )
    else:
        query = query.where(col(Meeting.ends_at) >= bindparam("now")).order_by(col(Meeting.starts_at), col(Meeting.id))
    return query.offset(bindparam("skip")).limit(bindparam("limit"))


def upcoming_for_state(
    session: Session, *, state_id: int, limit: int = 10, now: datetime | None = None
) -> list[Meeting]:
    """The scheduled meetings a state is invited to that have not ended yet."""
    invited = select(MeetingInvitee.meeting_id).where(MeetingInvitee.state_id == state_id)
    return list(
        session.exec(
            select(Meeting)
            .where(
                col(Meeting.id).in_(invited),
                Meeting.status == "scheduled",
                col(Meeting.ends_at) >= (now or clock.now()),
            )
            .order_by(col(Meeting.starts_at))
            .limit(limit)
        ).all()
    )


def published_summaries(session: Session, *, limit: int = 10) -> list[Meeting]:
    """Meetings whose summary a coordinator has published, newest meeting first: readable by anyone."""
    return list(
        session.exec(
            select(Meeting)
            .where(col(Meeting.summary_published_at).is_not(None))
            .order_by(col(Meeting.starts_at).desc())
            .limit(limit)
        ).all()
    )


# Built once, the person and the meetings bound: every meeting's page and list asks it.
_ANSWERS_OF = select(Invitation).where(
    Invitation.user_id == bindparam("user_id"), col(Invitation.meeting_id).in_(bindparam("meeting_ids", expanding=True))
)


def answers_of(session: Session, *, user: User, meeting_ids: list[int]) -> dict[int, Invitation]:
    """The user's invitations to these meetings, by meeting (one query)."""
    found = session.exec(_ANSWERS_OF, params={"user_id": user.id, "meeting_ids": list(meeting_ids)}).all()
    return {row.meeting_id: row for row in found}


def _feed_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed(session: Session, *, user: User) -> str:
    """A new private feed URL token; any earlier one stops working."""
    now = clock.now()
    for feed in session.exec(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id, col(CalendarFeed.revoked_at).is_(None))
    ).all():
        feed.revoked_at = now
        session.add(feed)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(user_id=id_of(user), token_hash=_feed_hash(token), created_at=now))
    audit.record(session, actor_id=user.id, action="new_feed", entity="calendar_feed", entity_id=user.id)
    session.commit()
    return token


def revoke_feed(session: Session, *, user: User) -> int:
    now = clock.now()
    feeds = list(
        session.exec(
            select(CalendarFeed).where(CalendarFeed.user_id == user.id, col(CalendarFeed.revoked_at).is_(None))
        ).all()
    )
    for feed in feeds:
        feed.revoked_at = now
        session.add(feed)
    audit.record(session, actor_id=user.id, action="revoke_feed", entity="calendar_feed", entity_id=user.id)
    session.commit()
    return len(feeds)


def has_feed(session: Session, *, user: User) -> bool:
    return (
        session.exec(
            select(func.count())
            .select_from(CalendarFeed)
            .where(CalendarFeed.user_id == user.id, col(CalendarFeed.revoked_at).is_(None))
        ).one()
        > 0
    )


def feed_owner(session: Session, *, token: str) -> User:
    """The active user whose private calendar link carries `token`; 404 for a revoked or unknown one."""
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.token_hash == _feed_hash(token))).first()
    owner = session.get(User, feed.user_id) if feed is not None and feed.revoked_at is None else None
    if owner is None or not owner.is_active:
        raise NotFound(N_("This calendar link does not work any more. Make a new one on the meetings page."))
    return owner


def dormant_note(settings: Settings, language: str) -> str:
    """What a calendar entry of a meeting held under a dormant body says about it, in the reader's language."""
    with in_language(language):
        return gettext(
            N_(
                "Held under a body dormant under the %(option)s, the governance option in force. The meeting has "
                "not been cancelled."
            )
        ) % {"option": governance.option_label(settings)(language)}


def feed_calendar(session: Session, settings: Settings, *, token: str) -> str:
    """The iCalendar feed of the token's owner: meetings from 90 days ago on, those held under a dormant body
    described as such."""
    owner = feed_owner(session, token=token)
    meetings = session.exec(
        visible_query(owner)
        .where(col(Meeting.ends_at) >= clock.now() - timedelta(days=90))
        .order_by(col(Meeting.starts_at))
    ).all()
    network = region.load(settings.seeds_dir)
    dormant, note = governance.dormancy(session, settings), dormant_note(settings, owner.language)
    addresses = organizer_addresses(session, settings, meetings)
    portal = network.short_name(owner.language)
    entries = [
        (
            m,
            m.title(owner.language),
            f"{settings.base_url}/meetings/{m.id}",
            location(m),
            note if dormant.holds(m) else "",
            calendar.Organizer(addresses[m.id], portal),
        )
        for m in meetings
    ]
    return calendar.feed(entries, name=portal)


def meeting_calendar(session: Session, settings: Settings, meeting: Meeting, *, user: User) -> str:
    """The meeting to add to one's own calendar (a PUBLISH: no attendee, nothing to answer), described as such
    when it is held under a dormant body."""
    url = f"{settings.base_url}/meetings/{meeting.id}"
    network = region.load(settings.seeds_dir)
    return calendar.download(
        meeting,
        title=meeting.title(user.language),
        url=url,
        organizer=calendar.Organizer(organizer_address(session, settings, meeting), network.short_name(user.language)),
        location=location(meeting),
        note=dormant_note(settings, user.language) if governance.dormancy(session, settings).holds(meeting) else "",
    )


def upcoming_by_body(session: Session, *, now: datetime | None = None) -> dict[int, int]:
    """How many scheduled meetings that have not ended each body holds, its working groups' included (one query)."""
    owner = func.coalesce(Meeting.body_id, WorkingGroup.body_id)
    rows = session.exec(
        select(owner, func.count())
        .select_from(Meeting)
        .outerjoin(WorkingGroup, col(WorkingGroup.id) == Meeting.working_group_id)
        .where(Meeting.status == "scheduled", col(Meeting.ends_at) >= (now or clock.now()))
        .group_by(owner)
    ).all()
    return {body_id: count for body_id, count in rows if body_id is not None}
