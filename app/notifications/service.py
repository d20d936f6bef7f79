"""The scheduled jobs: each runs for one moment of the injected clock (`now`), decides every notification that has
come due, and records it with a unique key in the same transaction that queues its email, so that a retry, a second
worker or a run after a crash never sends anything twice.

Sending late or skipping (the README says the same): a reminder is due at 08:00 in the recipient's own zone on its
day. A run after an outage sends each reminder still useful once, late, saying on which day it was due; a reminder
overtaken by a later one of the same thing (the 7-day reminder once the 1-day one is due), one whose subject has
passed (the meeting started, the deadline ended, the item was done), or one whose due moment came before its subject
existed is never sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from sqlalchemy import Date, String, bindparam, literal, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from app.auth.models import Role, User
from app.capacity.models import Need, Support
from app.core import clock, formats, region
from app.core.config import Settings
from app.core.db import id_of, once, writes
from app.core.errors import DomainError
from app.core.i18n import N_, in_language, ngettext
from app.core.i18n import gettext as _
from app.governance import service as governance
from app.meetings import service as meetings
from app.meetings.models import ActionItem, Invitation, Meeting, MeetingDocument, MeetingInvitee, MeetingSeries
from app.members.models import MemberState
from app.notifications import mail
from app.notifications.models import DIGESTS, REMINDER_KINDS, Job, JobRun, Notification, NotificationPreference
from app.outbox import service as outbox
from app.training.models import Nomination, TrainingOffer

log = logging.getLogger(__name__)

MORNING = time(8)
MEETING_DAYS = (7, 1)
# A series may choose its own meeting reminder days, up to this many before (see meetings.parse_reminder_days).
MAX_MEETING_DAYS = 60
NOMINATION_DAYS = (7, 2)
ACTION_DAYS = 7
# A reminder sent more than this after its due moment says on which day it was due.
LATE_AFTER = timedelta(hours=12)


def morning(day: date, zone: str) -> datetime:
    """08:00 of a day in a zone, as a UTC instant."""
    return datetime.combine(day, MORNING, _zone(zone)).astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


@dataclass
class Candidate:
    """A notification a job would send now: its key, whether it is late, and how to write it."""

    kind: str
    object_id: int
    user: User
    due_at: datetime
    due: datetime
    write: Callable[[], mail.Message] | None = None
    skip: bool = False


@dataclass
class Run:
    """What one job does at one moment: its candidates and counts."""

    session: Session
    settings: Settings
    now: datetime
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    portals: dict[str, str] = field(default_factory=dict)
    bodies: list[Any] | None = None  # the library's bodies, read once per run for the digests

    def portal(self, language: str) -> str:
        if language not in self.portals:
            self.portals[language] = region.load(self.settings.seeds_dir).short_name(language)
        return self.portals[language]

    def late(self, due: datetime) -> datetime | None:
        return due if self.now - due > LATE_AFTER else None


def _preferences(session: Session, user_ids: Iterable[int]) -> dict[int, set[str]]:
    """The reminder kinds each person turned off."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(select(NotificationPreference).where(col(NotificationPreference.user_id).in_(ids))).all()
    return {row.user_id: set(row.reminders_off.split()) for row in rows}


def _decided(session: Session, kinds: Iterable[str], object_ids: Iterable[int]) -> set[tuple[str, int, int, datetime]]:
    """The keys already decided, so that a run does not even try them again (the unique key is the guarantee)."""
    ids = sorted(set(object_ids))
    if not ids:
        return set()
    rows = session.exec(
        select(Notification.kind, Notification.object_id, Notification.user_id, Notification.due_at).where(
            col(Notification.kind).in_(list(kinds)), col(Notification.object_id).in_(ids)
        )
    ).all()
    return {(kind, object_id, user_id, due_at) for kind, object_id, user_id, due_at in rows}


def _statements(session: Session) -> tuple[Any, Any]:
    """The two statements of a decision, built once per run and run on the connection, without the ORM's
    bookkeeping: one inserts a notification's key and returns its id (no row when another run or worker decided it
    first), the other links a claimed key to its email."""
    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = Notification.metadata.tables["notification"]
    columns = ("kind", "object_id", "user_id", "due_at", "job", "outcome", "late", "decided_at")
    claim = insert(table).values({name: bindparam(name) for name in columns}).on_conflict_do_nothing()
    link = table.update().where(table.c.id == bindparam("claimed")).values(outbox_message_id=bindparam("message"))
    return claim.returning(table.c.id), link


def _decide(
    run: Run, job: Job, candidates: list[Candidate], *, headers: Callable[[Candidate], dict[str, str]] | None = None
) -> None:
    """Each candidate once: the key inserted and the email queued in one savepoint of the job's transaction. A run
    decides at most `notifications_per_run`; the rest are counted as deferred, and the next runs decide them."""
    done = _decided(run.session, {c.kind for c in candidates}, [c.object_id for c in candidates])
    claim, link = _statements(run.session)
    deferred: set[tuple[str, int, int, datetime]] = set()
    for candidate in candidates:
        key = (candidate.kind, candidate.object_id, id_of(candidate.user), candidate.due_at)
        if key in done:
            continue
        if run.sent + run.skipped + run.failed >= run.settings.notifications_per_run:
            deferred.add(key)
            continue
        done.add(key)
        late = None if candidate.skip else run.late(candidate.due)
        kind, object_id, user_id, due_at = key
        outcome = "skipped" if candidate.skip else "queued"
        values = dict(kind=kind, object_id=object_id, user_id=user_id, due_at=due_at, job=job, outcome=outcome)
        values.update(late=late is not None, decided_at=run.now)
        try:
            with run.session.begin_nested():
                claimed = run.session.connection().execute(claim, values).scalar()
                if claimed is None:
                    continue
                if candidate.skip or candidate.write is None:
                    run.skipped += 1
                    continue
                subject, body, html = candidate.write()
                message = outbox.queue(
                    run.session,
                    recipient=candidate.user.email,
                    subject=subject,
                    body=body,
                    html=html,
                    headers=headers(candidate) if headers else None,
                )
                run.session.flush()
                run.session.connection().execute(link, {"claimed": claimed, "message": message.id})
            run.sent += 1
        except Exception:
            # One reminder that cannot be written (a broken row, say) fails alone; its key is not kept, so a later
            # run tries it again.
            log.exception("%s: notification %s for user %s failed", job, candidate.kind, candidate.user.id)
            run.failed += 1
    run.deferred += len(deferred)


def _due(dues: list[tuple[str, datetime]], now: datetime, born: datetime) -> tuple[str, datetime, list[str]] | None:
    """Of (kind, due moment) pairs of one subject, the latest one that has come due, and the earlier ones it
    overtakes; those due before the subject existed were never due."""
    passed = sorted(((due, kind) for kind, due in dues if born <= due <= now), reverse=True)
    if not passed:
        return None
    (due, kind), *overtaken = passed
    return kind, due, [k for _, k in overtaken]


# The jobs.


def _offsets(session: Session, meetings_due: Iterable[Meeting]) -> dict[int, tuple[int, ...]]:
    """Each meeting's reminder days: its series' choice, or the portal's (one query)."""
    meetings_due = list(meetings_due)
    series_ids = sorted({m.series_id for m in meetings_due if m.series_id is not None})
    chosen: dict[int, tuple[int, ...]] = {}
    if series_ids:
        for series in session.exec(select(MeetingSeries).where(col(MeetingSeries.id).in_(series_ids))).all():
            days = series.reminder_offsets()
            if days is not None:
                chosen[id_of(series)] = days
    return {
        id_of(m): chosen.get(m.series_id, MEETING_DAYS) if m.series_id is not None else MEETING_DAYS
        for m in meetings_due
    }


def meeting_reminders(run: Run) -> None:
    """Invitees who have not declined, 7 days and 1 day before, from 08:00 in their zone, with one-click answers."""
    session, now = run.session, run.now
    meetings_due = list(
        session.exec(
            select(Meeting).where(
                Meeting.status == "scheduled",
                col(Meeting.starts_at) > now,
                col(Meeting.starts_at) <= now + timedelta(days=MAX_MEETING_DAYS + 1),
            )
        ).all()
    )
    if not meetings_due:
        return
    by_id = {id_of(m): m for m in meetings_due}
    offsets = _offsets(session, meetings_due)
    rows = session.exec(
        select(Invitation, User)
        .join(User, col(User.id) == Invitation.user_id)
        .where(
            col(Invitation.meeting_id).in_(list(by_id)),
            col(Invitation.answer) != "not_attending",
            col(User.is_active).is_(True),
        )
        .order_by(col(Invitation.id))
    ).all()
    off = _preferences(session, [id_of(user) for _, user in rows])
    candidates = []
    for invitation, user in rows:
        meeting = by_id[invitation.meeting_id]
        day = meeting.starts_at.astimezone(_zone(user.time_zone)).date()
        dues = [(f"meeting_{d}d", morning(day - timedelta(days=d), user.time_zone)) for d in offsets[id_of(meeting)]]
        found = _due(dues, now, meeting.created_at)
        if found is None:
            continue
        kind, due, overtaken = found
        skip = not user.email or "meeting" in off.get(id_of(user), set())
        candidates += [Candidate(k, id_of(meeting), user, meeting.starts_at, due, skip=True) for k in overtaken]
        candidates.append(
            Candidate(
                kind,
                id_of(meeting),
                user,
                meeting.starts_at,
                due,
                skip=skip,
                write=_meeting_writer(run, meeting, invitation, user, int(kind.split("_")[1][:-1]), due),
            )
        )
    _decide(run, Job.meeting_reminders, candidates)


def _meeting_writer(
    run: Run, meeting: Meeting, invitation: Invitation, user: User, days: int, due: datetime
) -> Callable[[], mail.Message]:
    def write() -> mail.Message:
        return mail.meeting_reminder(
            user=user,
            meeting=meeting,
            days=days,
            url=f"{run.settings.base_url}/meetings/{meeting.id}",
            portal=run.portal(user.language),
            links=meetings.reminder_answer_links(run.session, run.settings, invitation, meeting),
            late=run.late(due),
        )

    return write


def _focal_points(session: Session) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(
                User.role == Role.focal_point.value,
                col(User.is_active).is_(True),
                col(User.member_state_id).is_not(None),
            )
            .order_by(col(User.id))
        ).all()
    )


def _state_names(session: Session) -> dict[int, MemberState]:
    return {id_of(s): s for s in session.exec(select(MemberState)).all()}


def nomination_reminders(run: Run) -> None:
    """Focal points of the states that have nominated no one for a published offer, 7 and 2 days before its
    deadline, until the deadline day ends where the provider is."""
    session, now = run.session, run.now
    today = now.date()
    offers = list(
        session.exec(
            select(TrainingOffer).where(
                TrainingOffer.status == "published",
                col(TrainingOffer.deadline_on) >= today - timedelta(days=1),
                col(TrainingOffer.deadline_on) <= today + timedelta(days=max(NOMINATION_DAYS) + 1),
            )
        ).all()
    )
    if not offers:
        return
    nominated = {
        (offer_id, state_id)
        for offer_id, state_id in session.exec(
            select(Nomination.offer_id, Nomination.state_id).where(
                col(Nomination.offer_id).in_([id_of(o) for o in offers]), Nomination.status != "withdrawn"
            )
        ).all()
    }
    people = _focal_points(session)
    off = _preferences(session, [id_of(p) for p in people])
    states = _state_names(session)
    candidates = []
    for offer in offers:
        closes = datetime.combine(offer.deadline_on + timedelta(days=1), time(0), _zone(offer.zone)).astimezone(UTC)
        if now >= closes:
            continue
        for user in people:
            state_id = user.member_state_id
            if state_id is None or state_id == offer.provider_state_id or (id_of(offer), state_id) in nominated:
                continue
            dues = [
                (f"nomination_{d}d", morning(offer.deadline_on - timedelta(days=d), user.time_zone))
                for d in NOMINATION_DAYS
            ]
            found = _due(dues, now, offer.created_at)
            if found is None:
                continue
            kind, due, overtaken = found
            candidates += [Candidate(k, id_of(offer), user, closes, due, skip=True) for k in overtaken]
            state = states[state_id].name(user.language)
            candidates.append(
                Candidate(
                    kind,
                    id_of(offer),
                    user,
                    closes,
                    due,
                    skip=not user.email or "nomination" in off.get(id_of(user), set()),
                    write=_nomination_writer(run, offer, user, state, due),
                )
            )
    _decide(run, Job.nomination_reminders, candidates)


def _nomination_writer(
    run: Run, offer: TrainingOffer, user: User, state: str, due: datetime
) -> Callable[[], mail.Message]:
    return lambda: mail.nomination_reminder(
        user=user,
        offer_title=offer.title,
        deadline=offer.deadline_on,
        state=state,
        url=f"{run.settings.base_url}/training/{offer.id}",
        portal=run.portal(user.language),
        late=run.late(due),
    )


OPEN_ACTIONS = ("open", "in_progress")


def action_reminders(run: Run) -> None:
    """The owning state's focal points: an open action item 7 days before it is due (while it is not yet due), and
    once when it is overdue (the morning after its day)."""
    session, now = run.session, run.now
    items = list(
        session.exec(
            select(ActionItem).where(
                col(ActionItem.status).in_(OPEN_ACTIONS),
                col(ActionItem.due_on) <= now.date() + timedelta(days=ACTION_DAYS + 1),
            )
        ).all()
    )
    if not items:
        return
    people: dict[int, list[User]] = {}
    for user in _focal_points(session):
        people.setdefault(user.member_state_id or 0, []).append(user)
    off = _preferences(session, [id_of(p) for group in people.values() for p in group])
    states = _state_names(session)
    candidates = []
    for item in items:
        key_moment = datetime.combine(item.due_on, time(0), UTC)
        for user in people.get(item.owner_state_id, []):
            dues = [
                ("action_7d", morning(item.due_on - timedelta(days=ACTION_DAYS), user.time_zone)),
                ("action_overdue", morning(item.due_on + timedelta(days=1), user.time_zone)),
            ]
            found = _due(dues, now, item.created_at)
            if found is None:
                continue
            kind, due, overtaken = found
            candidates += [Candidate(k, id_of(item), user, key_moment, due, skip=True) for k in overtaken]
            candidates.append(
                Candidate(
                    kind,
                    id_of(item),
                    user,
                    key_moment,
                    due,
                    skip=not user.email or "action" in off.get(id_of(user), set()),
                    write=_action_writer(run, item, user, states[item.owner_state_id].name(user.language), kind, due),
                )
            )
    _decide(run, Job.action_reminders, candidates)


def _action_writer(
    run: Run, item: ActionItem, user: User, state: str, kind: str, due: datetime
) -> Callable[[], mail.Message]:
    return lambda: mail.action_reminder(
        user=user,
        text=item.text,
        due_on=item.due_on,
        overdue=kind == "action_overdue",
        state=state,
        url=f"{run.settings.base_url}{action_url(item)}",
        portal=run.portal(user.language),
        late=run.late(due),
    )


def _meetings_soon(run: Run, days: int) -> list[Meeting]:
    """Scheduled meetings that have not started and start within `days` days (and one more, for the zones)."""
    return list(
        run.session.exec(
            select(Meeting)
            .where(
                Meeting.status == "scheduled",
                col(Meeting.starts_at) > run.now,
                col(Meeting.starts_at) <= run.now + timedelta(days=days + 1),
            )
            .order_by(col(Meeting.starts_at))
        ).all()
    )


def update_reminders(run: Run) -> None:
    """Focal points of the states invited to a meeting that have not posted their written update for it, at the
    meeting reminder's offsets (7 days and 1 day before), from 08:00 in their zone, until the meeting starts."""
    session, now = run.session, run.now
    soon = _meetings_soon(run, MAX_MEETING_DAYS)
    if not soon:
        return
    by_id = {id_of(m): m for m in soon}
    offsets = _offsets(session, soon)
    invited = session.exec(
        select(MeetingInvitee.meeting_id, MeetingInvitee.state_id).where(
            col(MeetingInvitee.meeting_id).in_(list(by_id))
        )
    ).all()
    posted = set(
        session.exec(
            select(MeetingDocument.meeting_id, MeetingDocument.state_id).where(
                col(MeetingDocument.meeting_id).in_(list(by_id)), MeetingDocument.kind == "written_update"
            )
        ).all()
    )
    people: dict[int, list[User]] = {}
    for user in _focal_points(session):
        people.setdefault(user.member_state_id or 0, []).append(user)
    off = _preferences(session, [id_of(p) for group in people.values() for p in group])
    states = _state_names(session)
    candidates = []
    for meeting_id, state_id in sorted(invited):
        if (meeting_id, state_id) in posted:
            continue
        meeting = by_id[meeting_id]
        for user in people.get(state_id, []):
            day = meeting.starts_at.astimezone(_zone(user.time_zone)).date()
            dues = [(f"update_{d}d", morning(day - timedelta(days=d), user.time_zone)) for d in offsets[meeting_id]]
            found = _due(dues, now, meeting.created_at)
            if found is None:
                continue
            kind, due, overtaken = found
            candidates += [Candidate(k, meeting_id, user, meeting.starts_at, due, skip=True) for k in overtaken]
            candidates.append(
                Candidate(
                    kind,
                    meeting_id,
                    user,
                    meeting.starts_at,
                    due,
                    skip=not user.email or "update" in off.get(id_of(user), set()),
                    write=_update_writer(run, meeting, user, states[state_id].name(user.language), kind, due),
                )
            )
    _decide(run, Job.update_reminders, candidates)


def _update_writer(
    run: Run, meeting: Meeting, user: User, state: str, kind: str, due: datetime
) -> Callable[[], mail.Message]:
    return lambda: mail.update_reminder(
        user=user,
        meeting=meeting,
        days=int(kind.split("_")[1][:-1]),
        state=state,
        url=f"{run.settings.base_url}/meetings/{meeting.id}#documents",
        portal=run.portal(user.language),
        late=run.late(due),
    )


REVIEW_DAYS = 7


def review_reminders(run: Run) -> None:
    """Each coordinator, once per meeting at the 7-day meeting reminder's moment: the overdue action items raised
    at earlier meetings of the same body or working group, which this meeting reviews. Nothing when none is
    overdue."""
    session, now = run.session, run.now
    soon = [m for m in _meetings_soon(run, REVIEW_DAYS) if m.body_id is not None or m.working_group_id is not None]
    if not soon:
        return
    coordinators = list(
        session.exec(
            select(User)
            .where(User.role == Role.coordinator.value, col(User.is_active).is_(True))
            .order_by(col(User.id))
        ).all()
    )
    if not coordinators:
        return
    off = _preferences(session, [id_of(u) for u in coordinators])
    states = _state_names(session)
    candidates = []
    for meeting in soon:
        # One query per meeting starting within a week: a handful at most.
        review = meetings.for_review(session, meeting)
        for user in coordinators:
            local_today = now.astimezone(_zone(user.time_zone)).date()
            overdue = [item for item in review if item.due_on < local_today]
            if not overdue:
                continue
            day = meeting.starts_at.astimezone(_zone(user.time_zone)).date()
            found = _due(
                [("review_7d", morning(day - timedelta(days=REVIEW_DAYS), user.time_zone))], now, meeting.created_at
            )
            if found is None:
                continue
            kind, due, _overtaken = found
            candidates.append(
                Candidate(
                    kind,
                    id_of(meeting),
                    user,
                    meeting.starts_at,
                    due,
                    skip=not user.email or "review" in off.get(id_of(user), set()),
                    write=_review_writer(run, meeting, user, overdue, states, due),
                )
            )
    _decide(run, Job.review_reminders, candidates)


def _review_writer(
    run: Run, meeting: Meeting, user: User, items: list[ActionItem], states: dict[int, MemberState], due: datetime
) -> Callable[[], mail.Message]:
    return lambda: mail.review_reminder(
        user=user,
        meeting=meeting,
        items=[(states[i.owner_state_id].name(user.language), i.text, i.due_on) for i in items],
        url=f"{run.settings.base_url}/meetings/{meeting.id}#actions",
        portal=run.portal(user.language),
        late=run.late(due),
    )


WAIT_BEFORE = timedelta(days=3)
WEEK = timedelta(days=7)


def _weekly(since: datetime, now: datetime, zone: str, *, day: date | None = None) -> tuple[datetime, datetime] | None:
    """For something waiting from `since`: the latest weekly moment (since, since + 7 days, …) whose morning has
    come, and that morning: 08:00 in the person's zone at or after the moment, or of `day` (+ 7 days, …) when given.
    The moment is the key, so a change of zone sends nothing twice; mornings skipped by an outage are not made up."""
    step = max(int((now - since) / WEEK) + 1, 0)
    while step >= 0:
        moment = since + step * WEEK
        if day is not None:
            send = morning(day + step * WEEK, zone)
        else:
            local = moment.astimezone(_zone(zone))
            send = morning(local.date(), zone)
            if send < moment:
                send = morning(local.date() + timedelta(days=1), zone)
        if send <= now:
            return moment, send
        step -= 1
    return None


def _coordinators(session: Session) -> list[User]:
    """Active coordinators (the admins while there is none), who decide membership requests."""
    found = list(
        session.exec(
            select(User)
            .where(User.role == Role.coordinator.value, col(User.is_active).is_(True))
            .order_by(col(User.id))
        ).all()
    )
    if found:
        return found
    return list(
        session.exec(
            select(User).where(User.role == Role.admin.value, col(User.is_active).is_(True)).order_by(col(User.id))
        ).all()
    )


def waiting_reminders(run: Run) -> None:
    """What waits on someone's decision or support, once it has waited more than 3 days (a need: once its date has
    passed), then once a week while it still waits, each from 08:00 in the recipient's zone: membership requests to
    the coordinators; candidates nominated for an offer to its provider's focal points (coordinators for an offer of
    no state); open needs with no support past their date to the state's focal points and the coordinators."""
    session, now = run.session, run.now
    coordinators = _coordinators(session)
    people: dict[int, list[User]] = {}
    for user in _focal_points(session):
        people.setdefault(user.member_state_id or 0, []).append(user)
    off = _preferences(session, [id_of(u) for u in coordinators] + [id_of(p) for g in people.values() for p in g])
    states = _state_names(session)
    base = run.settings.base_url
    candidates: list[Candidate] = []

    def add(
        kind: str,
        object_id: int,
        users: Iterable[User],
        since: datetime,
        write: Callable[..., Any],
        day: date | None = None,
    ) -> None:
        for user in users:
            found = _weekly(since, now, user.time_zone, day=day)
            if found is None:
                continue
            key, due = found
            candidates.append(
                Candidate(
                    f"{kind}_waiting",
                    object_id,
                    user,
                    key,
                    due,
                    skip=not user.email or kind in off.get(id_of(user), set()),
                    write=_waiting_writer(run, user, due, write),
                )
            )

    for event, body, state in governance.pending_requests(session, run.settings):
        add(
            "request",
            id_of(event),
            coordinators,
            event.at + WAIT_BEFORE,
            lambda user, event=event, body=body, state=state: (
                _("Membership request waiting: %(state)s, %(body)s")
                % {"state": state.name(user.language), "body": body.name(user.language)},
                _("The request of %(state)s about %(body)s has been waiting for a decision since %(day)s.")
                % {
                    "state": state.name(user.language),
                    "body": body.name(user.language),
                    "day": formats.local_date(event.at, user.time_zone, user.language),
                },
                (_("The body's page"), f"{base}/bodies/{body.key}"),
            ),
        )

    waiting = session.exec(
        select(TrainingOffer, func.min(Nomination.nominated_at), func.count(col(Nomination.id)))
        .join(Nomination, col(Nomination.offer_id) == TrainingOffer.id)
        .where(Nomination.status == "nominated", col(Nomination.erased_at).is_(None))
        .group_by(col(TrainingOffer.id))
        .order_by(col(TrainingOffer.id))
    ).all()
    for offer, oldest, count in waiting:
        deciders = people.get(offer.provider_state_id, []) if offer.provider_state_id else coordinators
        add(
            "candidates",
            id_of(offer),
            deciders,
            oldest + WAIT_BEFORE,
            lambda user, offer=offer, oldest=oldest, count=count: (
                _("Nominations waiting for your decision: %(title)s") % {"title": offer.title},
                ngettext(
                    "%(count)s candidate nominated for this offer has been waiting for a decision since %(day)s.",
                    "%(count)s candidates nominated for this offer have been waiting for a decision since %(day)s.",
                    count,
                )
                % {"count": count, "day": formats.local_date(oldest, user.time_zone, user.language)},
                (offer.title, f"{base}/training/{offer.id}"),
            ),
        )

    supported = select(Support.need_id).where(col(Support.need_id).is_not(None), Support.status != "cancelled")
    needs = session.exec(
        select(Need)
        .where(
            Need.status == "open",
            col(Need.wanted_by).is_not(None),
            # Its date has ended somewhere (the earliest zones are 14 hours ahead); each person's morning decides.
            col(Need.wanted_by) < (now + timedelta(hours=14)).date(),
            col(Need.id).not_in(supported),
        )
        .order_by(col(Need.id))
    ).all()
    for need in needs:
        assert need.wanted_by is not None
        add(
            "need",
            id_of(need),
            [*people.get(need.state_id, []), *[u for u in coordinators if u.role == Role.coordinator.value]],
            datetime.combine(need.wanted_by + timedelta(days=1), time(0), UTC),
            lambda user, need=need: (
                _("Need without support past its date: %(text)s") % {"text": _clip(need.description)},
                _("This need of %(state)s was wanted by %(day)s and no support is planned for it.")
                % {
                    "state": states[need.state_id].name(user.language),
                    "day": formats.long_day(need.wanted_by, user.language),
                },
                (_("The need's page"), f"{base}/needs/{need.id}"),
            ),
            # The morning after its date, in each person's zone.
            day=need.wanted_by + timedelta(days=1),
        )
    _decide(run, Job.waiting_reminders, candidates)


def _clip(text_value: str) -> str:
    line = " ".join(text_value.split())
    return line if len(line) <= 60 else line[:59] + "…"


def _waiting_writer(
    run: Run, user: User, due: datetime, write: Callable[[User], tuple[str, str, tuple[str, str]]]
) -> Callable[[], mail.Message]:
    def written() -> mail.Message:
        with in_language(user.language):
            subject, lead, link = write(user)
        return mail.waiting_reminder(
            user=user,
            subject=subject,
            lead=lead,
            link=link,
            portal=run.portal(user.language),
            late=run.late(due),
        )

    return written


def jobs() -> dict[Job, Callable[[Run], None]]:
    """Every scheduled job by name (the digest's module builds on this one, hence imported here)."""
    from app.notifications.digest import digests

    return {
        Job.meeting_reminders: meeting_reminders,
        Job.nomination_reminders: nomination_reminders,
        Job.action_reminders: action_reminders,
        Job.update_reminders: update_reminders,
        Job.review_reminders: review_reminders,
        Job.waiting_reminders: waiting_reminders,
        Job.digests: digests,
    }


def _lock_key(job: str) -> int:
    """A stable 63-bit key for PostgreSQL's advisory lock of a job."""
    return int.from_bytes(hashlib.sha256(f"prcn-job:{job}".encode()).digest()[:8], "big") >> 1


def run_job(session: Session, settings: Settings, job: Job, *, now: datetime) -> JobRun | None:
    """Runs one job for the moment `now`, in one transaction; None when another worker is running it (it will
    have decided the same notifications). A failure rolls everything back and is recorded; the next run retries."""
    with writes():  # on SQLite the transaction begins with the write lock: one job at a time
        return _run_job(session, settings, job, now=now)


def _run_job(session: Session, settings: Settings, job: Job, *, now: datetime) -> JobRun | None:
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        held = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(job)}).scalar()
        if not held:
            session.rollback()
            return None
    started_at = clock.now()
    run = Run(session, settings, now)
    try:
        jobs()[job](run)
    except Exception as error:
        session.rollback()
        log.exception("job %s failed", job)
        record = JobRun(
            job=job,
            clock=now,
            started_at=started_at,
            finished_at=clock.now(),
            error=f"{type(error).__name__}: {error}"[:500],
        )
        session.add(record)
        session.commit()
        return record
    record = JobRun(job=job, clock=now, started_at=started_at)
    record.sent, record.skipped, record.failed, record.deferred = run.sent, run.skipped, run.failed, run.deferred
    if record.idle:
        record = _idle_run(session, job) or record
    record.clock, record.started_at, record.finished_at = now, started_at, clock.now()
    session.add(record)
    session.commit()
    return record


def _idle_run(session: Session, job: Job) -> JobRun | None:
    """The job's latest run when it did nothing: an idle run takes its place rather than adding a row."""
    latest = session.exec(select(JobRun).where(JobRun.job == job).order_by(col(JobRun.id).desc()).limit(1)).first()
    return latest if latest is not None and latest.idle else None


def run_due(session: Session, settings: Settings, *, now: datetime) -> list[JobRun]:
    """Every job once, for the moment `now`."""
    runs = []
    for job in jobs():
        record = run_job(session, settings, job, now=now)
        if record is not None:
            runs.append(record)
    return runs


def last_runs(session: Session, *, per_job: int = 3) -> list[JobRun]:
    """Each job's latest runs, newest first, for the admin outbox page: one query, reading only those rows through
    the index on job and id, however long the history."""
    latest = [
        select(JobRun.id).where(JobRun.job == job).order_by(col(JobRun.id).desc()).limit(per_job).subquery()
        for job in Job
    ]
    chosen = union_all(*(select(ids.c.id) for ids in latest))
    return list(
        session.exec(
            select(JobRun).where(col(JobRun.id).in_(chosen)).order_by(col(JobRun.job), col(JobRun.id).desc())
        ).all()
    )


def recent(session: Session, *, limit: int = 50) -> list[tuple[Notification, str]]:
    """The newest notifications decided and their recipient's address, for the admin outbox page."""
    return [
        (note, email)
        for note, email in session.exec(
            select(Notification, User.email)
            .join(User, col(User.id) == Notification.user_id)
            .order_by(col(Notification.id).desc())
            .limit(limit)
        ).all()
    ]


# A person's choices.


def preference(session: Session, user: User) -> NotificationPreference:
    """The person's choices, or the defaults (not stored) when they never chose."""
    found = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user.id)).first()
    return found or NotificationPreference(user_id=id_of(user), updated_at=clock.now())


def weekday_names(language: str) -> list[str]:
    """Monday to Sunday in the language."""
    names = get_day_names("wide", locale=formats.babel_locale(language))
    return [names[day] for day in range(7)]


def _whole(text_value: str, low: int, high: int, message: str) -> int:
    try:
        number = int(text_value.strip())
    except ValueError:
        raise DomainError(message) from None
    if not low <= number <= high:
        raise DomainError(message)
    return number


def save_preference(
    session: Session, *, user: User, digest: str, weekday: str, hour: str, reminders: Iterable[str]
) -> NotificationPreference:
    """Saves the digest's frequency, day and hour, and the reminder kinds kept on (the others are turned off)."""
    if digest not in DIGESTS:
        raise DomainError(N_("Choose how often the digest comes from the list."))
    day = _whole(weekday, 0, 6, N_("Choose the digest's day from the list."))
    at = _whole(hour, 0, 23, N_("Choose the digest's hour from the list."))
    kept = set(reminders)
    if not kept <= set(REMINDER_KINDS):
        raise DomainError(N_("Choose reminders from the list."))
    chosen = preference(session, user)
    chosen.digest, chosen.digest_weekday, chosen.digest_hour = digest, day, at
    chosen.reminders_off = " ".join(kind for kind in REMINDER_KINDS if kind not in kept)
    chosen.updated_at = clock.now()
    session.add(chosen)
    with once(session, N_("These choices were just saved elsewhere; reload the page and try again.")):
        session.commit()
    return chosen


# What waits on a person: what the reminders are about, for the dashboard.


@dataclass(frozen=True)
class Waiting:
    """One thing a reminder is (or will be) about."""

    kind: str
    title: str
    url: str
    at: datetime | None = None
    day: date | None = None
    overdue: bool = False


WAITING_LABELS = {
    "meeting": N_("Meeting within 7 days"),
    "update": N_("Written update to post"),
    "nomination": N_("Nomination deadline"),
    "action": N_("Action item"),
    "review": N_("Overdue action item"),
}


def action_url(item: ActionItem) -> str:
    """Where the owner state's focal points and coordinators see an action item and change its status: its row on
    the page of the meeting that raised it (shown to them even when their state is not a member of its body)."""
    return f"/meetings/{item.meeting_id}#action-{item.id}"


def _update_missing(state_id: Any, now: Any, week: Any) -> Any:
    """The meetings starting after `now` and by `week` that the state is invited to and has posted no written update
    for (values, or the bound parameters of a statement built once)."""
    posted = select(col(MeetingDocument.id)).where(
        col(MeetingDocument.meeting_id) == col(Meeting.id),
        MeetingDocument.state_id == state_id,
        MeetingDocument.kind == "written_update",
    )
    invited = select(col(MeetingInvitee.id)).where(
        col(MeetingInvitee.meeting_id) == col(Meeting.id), MeetingInvitee.state_id == state_id
    )
    # Correlated to the week's meetings, each looked up by its own id: the cost does not grow with the state's history.
    return (
        invited.exists(),
        ~posted.exists(),
        Meeting.status == "scheduled",
        col(Meeting.starts_at) > now,
        col(Meeting.starts_at) <= week,
    )


def _nominated_to(state_id: Any) -> Any:
    """The offer has a nomination of the state that is not withdrawn: looked up for each offer of the week by its
    id, so the cost does not grow with the state's nominations over the years."""
    return (
        select(col(Nomination.id))
        .where(
            col(Nomination.offer_id) == col(TrainingOffer.id),
            Nomination.state_id == state_id,
            Nomination.status != "withdrawn",
        )
        .exists()
    )


def _focal(user: User) -> bool:
    return user.role == Role.focal_point.value and user.member_state_id is not None


def _coordinates(user: User) -> bool:
    return user.role == Role.coordinator.value


@cache
def _waiting_statement(kind: str) -> Any:
    """The union waiting_count runs for a focal point, a coordinator or anyone else, built once per kind with the
    person and the time as bound parameters: building it cost several times what running it does, on every page."""
    now: Any = bindparam("now")
    week: Any = bindparam("week")
    state_id: Any = bindparam("state_id")
    parts: list[Any] = [
        select(literal("m").label("k"), literal(None, Date).label("d"), literal(None, String).label("z"), literal(1))
        .select_from(Meeting)
        .join(Invitation, col(Invitation.meeting_id) == Meeting.id)
        .where(
            Invitation.user_id == bindparam("user_id"),
            col(Invitation.answer) != "not_attending",
            Meeting.status == "scheduled",
            col(Meeting.starts_at) > now,
            col(Meeting.starts_at) <= week,
        )
    ]
    if kind == "focal":
        parts += [
            select(literal("u"), literal(None, Date), literal(None, String), literal(1))
            .select_from(Meeting)
            .where(*_update_missing(state_id, now, week)),
            select(literal("n"), col(TrainingOffer.deadline_on), col(TrainingOffer.zone), literal(1)).where(
                TrainingOffer.status == "published",
                col(TrainingOffer.deadline_on) >= bindparam("since_day"),
                col(TrainingOffer.deadline_on) <= bindparam("week_day"),
                col(TrainingOffer.provider_state_id).is_distinct_from(state_id),
                ~_nominated_to(state_id),
            ),
            select(literal("a"), col(ActionItem.due_on), literal(None, String), literal(1)).where(
                ActionItem.owner_state_id == state_id,
                col(ActionItem.status).in_(OPEN_ACTIONS),
                col(ActionItem.due_on) <= bindparam("week_day"),
            ),
        ]
    elif kind == "coordinator":
        parts.append(
            # The network's overdue items, counted by the database: one row however many there are.
            select(literal("r"), literal(None, Date), literal(None, String), func.count()).where(
                col(ActionItem.status).in_(OPEN_ACTIONS),
                col(ActionItem.due_on) < bindparam("today"),
            )
        )
    return union_all(*parts)


def waiting_count(session: Session, user: User, *, now: datetime) -> int:
    """How many things `waiting_for` lists, in one query: the count beside the navigation's dashboard link."""
    week = now + timedelta(days=ACTION_DAYS)
    kind = "focal" if _focal(user) else "coordinator" if _coordinates(user) else "other"
    values = {
        "user_id": user.id,
        "state_id": user.member_state_id,
        "now": now,
        "week": week,
        "since_day": (now - timedelta(days=1)).date(),
        "week_day": week.date(),
        "today": now.astimezone(_zone(user.time_zone)).date(),
    }
    rows = session.execute(_waiting_statement(kind), values).all()
    count = 0
    for part, day, zone, number in rows:
        if part == "n":
            closes = datetime.combine(day + timedelta(days=1), time(0), _zone(zone))
            count += now < closes
        else:
            count += number
    return count


def waiting_for(session: Session, user: User, *, now: datetime) -> list[Waiting]:
    """The meetings within a week the person has not declined; for a focal point, the meetings within a week their
    state owes a written update for, the nomination deadlines within a week their state has not answered, and their
    state's open action items due within a week or overdue; for a coordinator, the network's overdue action items
    (at most four queries)."""
    found: list[Waiting] = []
    week = now + timedelta(days=ACTION_DAYS)
    meetings_soon = session.exec(
        select(Meeting)
        .join(Invitation, col(Invitation.meeting_id) == Meeting.id)
        .where(
            Invitation.user_id == user.id,
            col(Invitation.answer) != "not_attending",
            Meeting.status == "scheduled",
            col(Meeting.starts_at) > now,
            col(Meeting.starts_at) <= week,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    found += [Waiting("meeting", m.title(user.language), f"/meetings/{m.id}", at=m.starts_at) for m in meetings_soon]
    if _coordinates(user):
        today = now.astimezone(_zone(user.time_zone)).date()
        overdue = session.exec(
            select(ActionItem)
            .where(col(ActionItem.status).in_(OPEN_ACTIONS), col(ActionItem.due_on) < today)
            .order_by(col(ActionItem.due_on), col(ActionItem.id))
        ).all()
        found += [Waiting("review", i.text, action_url(i), day=i.due_on, overdue=True) for i in overdue]
        return found
    if not _focal(user):
        return found
    missing = session.exec(
        select(Meeting).where(*_update_missing(user.member_state_id, now, week)).order_by(col(Meeting.starts_at))
    ).all()
    found += [Waiting("update", m.title(user.language), f"/meetings/{m.id}#documents", at=m.starts_at) for m in missing]
    offers = session.exec(
        select(TrainingOffer)
        .where(
            TrainingOffer.status == "published",
            col(TrainingOffer.deadline_on) >= (now - timedelta(days=1)).date(),
            col(TrainingOffer.deadline_on) <= week.date(),
            col(TrainingOffer.provider_state_id).is_distinct_from(user.member_state_id),
            ~_nominated_to(user.member_state_id),
        )
        .order_by(col(TrainingOffer.deadline_on))
    ).all()
    for offer in offers:
        closes = datetime.combine(offer.deadline_on + timedelta(days=1), time(0), _zone(offer.zone))
        if now < closes:
            found.append(Waiting("nomination", offer.title, f"/training/{offer.id}", day=offer.deadline_on))
    items = session.exec(
        select(ActionItem)
        .where(
            ActionItem.owner_state_id == user.member_state_id,
            col(ActionItem.status).in_(OPEN_ACTIONS),
            col(ActionItem.due_on) <= week.date(),
        )
        .order_by(col(ActionItem.due_on))
    ).all()
    today = now.astimezone(_zone(user.time_zone)).date()
    found += [
        Waiting("action", item.text, action_url(item), day=item.due_on, overdue=item.due_on < today) for item in items
    ]
    return found
