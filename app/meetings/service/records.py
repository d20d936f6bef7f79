"""What a meeting leaves behind: attendance, minutes and their publication, action items and their reminders."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_
from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import clock, paging
from app.core.db import id_of
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.governance import service as governance
from app.meetings.models import (
    ACTION_STATUSES,
    ActionItem,
    ActionItemEvent,
    Attendance,
    Meeting,
    MeetingSeries,
    MinutesVersion,
)
from app.meetings.service.rights import invited_states, owner_values, require_runner, same_owner
from app.meetings.service.scheduling import parse_day
from app.members.models import MemberState


def record_attendance(session: Session, *, user: User, meeting: Meeting, present_state_ids: Sequence[int]) -> None:
    """Who attended, among the invited states; recording again replaces the previous record."""
    require_runner(user)
    meeting_id = id_of(meeting)
    invited = invited_states(session, [meeting_id]).get(meeting_id, set())
    if not set(present_state_ids) <= invited:
        raise DomainError(N_("Only invited states can be recorded as present."))
    rows = {
        row.state_id: row for row in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    }
    now = clock.now()
    for state_id in sorted(invited):
        row = rows.get(state_id) or Attendance(
            meeting_id=meeting_id,
            state_id=state_id,
            present=False,
            recorded_at=now,
        )
        row.present, row.recorded_at, row.recorded_by = state_id in present_state_ids, now, user.id
        session.add(row)
    audit.record(
        session,
        actor_id=user.id,
        action="attendance",
        entity="meeting",
        entity_id=meeting.id,
        after={"present": sorted(present_state_ids)},
    )
    session.commit()


# The statements a meeting's page runs on every view are built once, with the meeting as a bound parameter:
# building one cost more than running it.
_ATTENDANCE = select(Attendance.state_id, Attendance.present).where(Attendance.meeting_id == bindparam("meeting_id"))
_MINUTES = (
    select(MinutesVersion, func.count().over())
    .where(MinutesVersion.meeting_id == bindparam("meeting_id"))
    .order_by(col(MinutesVersion.id).desc())
    .limit(1)
)


def attendance(session: Session, meeting: Meeting) -> dict[int, bool]:
    return dict(session.exec(_ATTENDANCE, params={"meeting_id": meeting.id}).all())


MINUTES_LIMIT = 200_000


def save_minutes(session: Session, *, user: User, meeting: Meeting, text: str) -> MinutesVersion:
    """Appends a version of the minutes; earlier versions stay."""
    require_runner(user)
    if len(text) > MINUTES_LIMIT:
        raise DomainError(N_("The minutes may have at most %(limit)s characters."), limit=MINUTES_LIMIT)
    version = MinutesVersion(
        meeting_id=id_of(meeting),
        text=text.replace("\r\n", "\n"),
        written_at=clock.now(),
        written_by=user.id,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="minutes",
        entity="meeting",
        entity_id=meeting.id,
        after={"version": version.id, "characters": len(version.text)},
    )
    session.commit()
    return version


def minutes(session: Session, meeting: Meeting) -> tuple[MinutesVersion | None, int]:
    """The current minutes and how many versions they have had."""
    newest = session.exec(_MINUTES, params={"meeting_id": meeting.id}).first()
    return (newest[0], newest[1]) if newest else (None, 0)


def set_publication(
    session: Session, *, user: User, meeting: Meeting, summary: str, publish: bool, chatham_house: bool
) -> Meeting:
    """The public summary (shown beyond the members only once published) and the Chatham House flag."""
    require_runner(user)
    if len(summary) > 20_000:
        raise DomainError(N_("The summary may have at most 20,000 characters."))
    if publish and not summary.strip():
        raise DomainError(N_("Write the summary before publishing it."))
    before = {"published": meeting.summary_published_at is not None, "chatham_house": meeting.chatham_house}
    meeting.summary = summary.replace("\r\n", "\n")
    meeting.summary_published_at = (meeting.summary_published_at or clock.now()) if publish else None
    meeting.chatham_house = chatham_house
    session.add(meeting)
    audit.record(
        session,
        actor_id=user.id,
        action="publication",
        entity="meeting",
        entity_id=meeting.id,
        before=before,
        after={"published": publish, "chatham_house": chatham_house},
    )
    session.commit()
    return meeting


# Action items


def add_action_item(
    session: Session, *, user: User, meeting: Meeting, owner_state_id: int, text: str, due_on: str
) -> ActionItem:
    """Records an action item raised at the meeting; every wrong field is named in one refusal."""
    require_runner(user)
    errors = FieldErrors()
    words = text.strip()
    if not words or len(words) > 1000:
        errors.add(DomainError(N_("Describe the action in at most 1,000 characters.")))
    if session.get(MemberState, owner_state_id) is None:
        errors.add(DomainError(N_("Choose the state that owns the action.")))
    with errors.field():
        due = parse_day(due_on)
    errors.raise_any()
    item = ActionItem(
        meeting_id=id_of(meeting),
        owner_state_id=owner_state_id,
        text=words,
        due_on=due,
        created_at=clock.now(),
        created_by=user.id,
    )
    session.add(item)
    session.flush()
    session.add(ActionItemEvent(action_item_id=id_of(item), status="open", at=item.created_at, by=user.id))
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="action_item",
        entity_id=item.id,
        after={"meeting": meeting.id, "owner": owner_state_id, "due_on": item.due_on.isoformat()},
    )
    session.commit()
    return item


REMINDER_DAYS_MAX = 60
REMINDER_DAYS_COUNT = 3


def parse_reminder_days(text_value: str) -> tuple[int, ...]:
    """Days before a meeting, written like "7, 1": whole numbers from 0 to 60, at most three; empty means the
    portal's own (an empty tuple)."""
    parts = [part for part in text_value.replace(",", " ").replace(";", " ").split()]
    if len(parts) > REMINDER_DAYS_COUNT:
        raise DomainError(N_("Give at most 3 reminder days, separated by commas, like 7, 1."))
    days = set()
    for part in parts:
        if not part.isdigit() or len(part) > 2 or int(part) > REMINDER_DAYS_MAX:
            raise DomainError(
                N_("Reminder days are whole numbers of days from 0 to 60, separated by commas, like 7, 1.")
            )
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def set_reminder_days(session: Session, *, user: User, series: MeetingSeries, days: str) -> MeetingSeries:
    """A coordinator chooses how many days before each meeting of the series its reminders go."""
    require_runner(user)
    chosen = parse_reminder_days(days)
    before = {"reminder_days": series.reminder_days}
    series.reminder_days = " ".join(str(day) for day in chosen)
    session.add(series)
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="meeting_series",
        entity_id=series.id,
        before=before,
        after={"reminder_days": series.reminder_days},
    )
    session.commit()
    return series


def change_action_item(
    session: Session, *, user: User, meeting: Meeting, item_id: int, status: str, note: str = ""
) -> ActionItem:
    """The owner state's focal point or a coordinator moves an action item on; each change is appended.
    `meeting` is the page it is changed from: the one that raised it or a later one reviewing it."""
    item = session.get(ActionItem, item_id)
    if item is None or not (item.meeting_id == meeting.id or item.id in {i.id for i in for_review(session, meeting)}):
        raise NotFound(N_("No such action item."))
    if not governance.coordinates(user) and not (
        user.role == Role.focal_point and user.member_state_id == item.owner_state_id
    ):
        raise Forbidden(N_("Only the owner state's focal points and coordinators update this action item."))
    if status not in ACTION_STATUSES:
        raise DomainError(N_("Choose a status from the list."))
    if len(note) > 500:
        raise DomainError(N_("The note may have at most 500 characters."))
    before = {"status": item.status}
    item.status = status
    session.add(item)
    session.add(
        ActionItemEvent(
            action_item_id=id_of(item),
            status=status,
            note=note.strip(),
            at=clock.now(),
            by=user.id,
        )
    )
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="action_item",
        entity_id=item.id,
        before=before,
        after={"status": status},
    )
    session.commit()
    return item


def action_items(session: Session, meeting: Meeting, *, owner_state_id: int | None = None) -> list[ActionItem]:
    """The action items the meeting raised; only one state's with `owner_state_id` (what the focal points of a state
    that is not a member of the body may see: their own)."""
    query = select(ActionItem).where(ActionItem.meeting_id == meeting.id)
    if owner_state_id is not None:
        query = query.where(ActionItem.owner_state_id == owner_state_id)
    return list(session.exec(query.order_by(col(ActionItem.due_on), col(ActionItem.id))).all())


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The last meeting of the same body or working group before this one."""
    query = select(Meeting).where(
        col(Meeting.starts_at) < meeting.starts_at, Meeting.id != meeting.id, Meeting.status == "scheduled"
    )
    if meeting.working_group_id is not None:
        query = query.where(Meeting.working_group_id == meeting.working_group_id)
    else:
        query = query.where(Meeting.body_id == meeting.body_id, col(Meeting.working_group_id).is_(None))
    return session.exec(query.order_by(col(Meeting.starts_at).desc())).first()


def open_action_items(
    session: Session, *, meeting_ids: Sequence[int] = (), owner_state_id: int | None = None
) -> list[tuple[ActionItem, Meeting]]:
    """Open and in-progress action items raised at these meetings or owned by this state, with their meeting."""
    query = (
        select(ActionItem, Meeting)
        .join(Meeting, col(Meeting.id) == ActionItem.meeting_id)
        .where(col(ActionItem.status).in_(("open", "in_progress")))
    )
    if meeting_ids:
        query = query.where(col(ActionItem.meeting_id).in_(list(meeting_ids)))
    if owner_state_id is not None:
        query = query.where(ActionItem.owner_state_id == owner_state_id)
    return [
        (item, meeting)
        for item, meeting in session.exec(query.order_by(col(ActionItem.due_on), col(ActionItem.id))).all()
    ]


def open_action_items_of_state(
    session: Session, *, state_id: int, size: int
) -> paging.Head[tuple[ActionItem, Meeting]]:
    """The first `size` open and in-progress action items a state owns, soonest due first, with their meeting; and
    how many it owns."""
    found = session.exec(
        select(ActionItem, Meeting, func.count().over())
        .join(Meeting, col(Meeting.id) == ActionItem.meeting_id)
        .where(col(ActionItem.status).in_(("open", "in_progress")), ActionItem.owner_state_id == state_id)
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
        .limit(size)
    ).all()
    return paging.Head([(item, meeting) for item, meeting, _total in found], found[0][2] if found else 0)


def _reviewed(in_group: bool) -> ColumnElement[bool]:
    """Action items raised at earlier meetings of the same body or group (`in_group`: of a working group), still
    open: the meeting bound as `starts_at`, `group_id` and `body_id` reviews them."""
    earlier = select(Meeting.id).where(col(Meeting.starts_at) < bindparam("starts_at"), same_owner(in_group))
    return and_(col(ActionItem.meeting_id).in_(earlier), col(ActionItem.status).in_(("open", "in_progress")))


@cache
def _review_statement(in_group: bool, *, with_raised: bool) -> Any:
    """Built once per kind of meeting: the action items it reviews, and with `with_raised` those raised at it."""
    reviewed = _reviewed(in_group)
    where = or_(col(ActionItem.meeting_id) == bindparam("meeting_id"), reviewed) if with_raised else reviewed
    return select(ActionItem).where(where).order_by(col(ActionItem.due_on), col(ActionItem.id))


def _review_params(meeting: Meeting) -> dict[str, Any]:
    return {"meeting_id": meeting.id, "starts_at": meeting.starts_at, **owner_values(meeting)}


def for_review(session: Session, meeting: Meeting) -> list[ActionItem]:
    """Action items raised at earlier meetings of the same body or group, still open: this meeting reviews them."""
    statement = _review_statement(meeting.working_group_id is not None, with_raised=False)
    return list(session.exec(statement, params=_review_params(meeting)).all())


def raised_and_reviewed(session: Session, meeting: Meeting) -> tuple[list[ActionItem], list[ActionItem]]:
    """What action_items() and for_review() return, read together in one query."""
    statement = _review_statement(meeting.working_group_id is not None, with_raised=True)
    found = session.exec(statement, params=_review_params(meeting)).all()
    return [item for item in found if item.meeting_id == meeting.id], [
        item for item in found if item.meeting_id != meeting.id
    ]
