"""Country coalitions: a coordinator convenes partners around one state's needs; the state's focal points lead
it, partners and coordinators follow it up with meetings, action items and a progress history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.capacity import queries as capacity
from app.capacity.models import Need
from app.coalitions.models import (
    COALITION_STATUSES,
    Coalition,
    CoalitionMeeting,
    CoalitionNeed,
    CoalitionPartner,
    CoalitionProgress,
)
from app.core import clock
from app.core.config import Settings
from app.core.db import id_of, once
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.core.i18n import N_
from app.governance import service as governance
from app.meetings import service as meetings
from app.meetings.models import ActionItem, Meeting
from app.members.models import MemberState

TITLE_LIMIT = 200
TEXT_LIMIT = 5000
# Coalition meetings are held in the network's quarterly SME forum, which exists under every governance option.
MEETING_BODY = "sme"


# Who may do what


def leads(user: User, coalition: Coalition) -> bool:
    """The coalition's state's focal points lead it (national ownership); coordinators and admins support."""
    if governance.coordinates(user):
        return True
    return user.role == Role.focal_point and user.member_state_id == coalition.state_id


def _partner_state_ids(session: Session, coalition: Coalition) -> set[int]:
    """The states currently partners in the coalition."""
    rows = session.exec(
        select(CoalitionPartner.partner_state_id).where(
            CoalitionPartner.coalition_id == coalition.id, col(CoalitionPartner.left_at).is_(None)
        )
    ).all()
    return {state_id for state_id in rows if state_id is not None}


def takes_part(session: Session, user: User, coalition: Coalition, partner_state_ids: set[int] | None = None) -> bool:
    """Leads, and the focal points of partner states (looked up unless given): they may add to the progress
    history."""
    if leads(user, coalition):
        return True
    partner_states = _partner_state_ids(session, coalition) if partner_state_ids is None else partner_state_ids
    return user.role == Role.focal_point and user.member_state_id in partner_states


def _require_lead(user: User, coalition: Coalition) -> None:
    if not leads(user, coalition):
        raise Forbidden(N_("Only the focal points of the coalition's state and coordinators may do this."))


def _require_active(coalition: Coalition) -> None:
    if coalition.status != "active":
        raise Conflict(N_("This coalition is closed. Reopen it first."))


def get_coalition(session: Session, coalition_id: int) -> Coalition:
    coalition = session.get(Coalition, coalition_id)
    if coalition is None:
        raise NotFound(N_("No such coalition."))
    return coalition


# Convening and changing a coalition


def _text(value: str, limit: int, message: str, *, required: bool = True) -> str:
    text = value.strip()
    if (required and not text) or len(text) > limit:
        raise DomainError(message, limit=limit)
    return text


def _state(session: Session, state_id: int | str | None, message: str) -> MemberState:
    try:
        found = session.get(MemberState, int(state_id)) if state_id not in (None, "") else None
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise DomainError(message)
    return found


def convene(
    session: Session,
    *,
    user: User,
    state_id: int | str,
    title: str,
    purpose: str = "",
    partner_state_ids: Sequence[int | str] = (),
    organisations: str = "",
) -> Coalition:
    """A coordinator convenes a coalition around a state, with its first partners (states and organisations,
    one organisation per line)."""
    if not governance.coordinates(user):
        raise Forbidden(N_("Only coordinators and admins may convene a coalition."))
    state = _state(session, state_id, N_("Choose the state the coalition supports."))
    coalition = Coalition(
        state_id=id_of(state),
        title=_text(title, TITLE_LIMIT, N_("Give the coalition a title of at most %(limit)s characters.")),
        purpose=_text(purpose, TEXT_LIMIT, N_("The purpose may have at most %(limit)s characters."), required=False),
        created_at=clock.now(),
        created_by=user.id,
    )
    session.add(coalition)
    session.flush()
    for partner_id in partner_state_ids:
        _add_partner(session, user=user, coalition=coalition, state_id=partner_id)
    for organisation in organisations.splitlines():
        if organisation.strip():
            _add_partner(session, user=user, coalition=coalition, organisation=organisation)
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="coalition",
        entity_id=coalition.id,
        after={"state": state.code, "title": coalition.title},
    )
    session.commit()
    return coalition


def _add_partner(
    session: Session, *, user: User, coalition: Coalition, state_id: int | str | None = None, organisation: str = ""
) -> CoalitionPartner:
    current = partners(session, coalition)
    if state_id not in (None, ""):
        state = _state(session, state_id, N_("Choose partner states from the list."))
        if state.id == coalition.state_id:
            raise DomainError(N_("The coalition's own state leads it; it is not one of its partners."))
        if any(partner.partner_state_id == state.id for partner, _ in current):
            raise Conflict(N_("This partner is already in the coalition."))
        partner = CoalitionPartner(
            coalition_id=id_of(coalition),
            partner_state_id=state.id,
            joined_at=clock.now(),
            joined_by=user.id,
        )
    else:
        name = _text(organisation, 120, N_("Name the partner organisation in at most %(limit)s characters."))
        if any(partner.organisation.casefold() == name.casefold() for partner, _ in current):
            raise Conflict(N_("This partner is already in the coalition."))
        partner = CoalitionPartner(
            coalition_id=id_of(coalition),
            organisation=name,
            joined_at=clock.now(),
            joined_by=user.id,
        )
    session.add(partner)
    session.flush()
    return partner


def add_partner(
    session: Session, *, user: User, coalition: Coalition, state_id: int | str | None = None, organisation: str = ""
) -> CoalitionPartner:
    _require_lead(user, coalition)
    _require_active(coalition)
    with once(session, N_("This partner is already in the coalition.")):
        partner = _add_partner(session, user=user, coalition=coalition, state_id=state_id, organisation=organisation)
        audit.record(
            session,
            actor_id=user.id,
            action="add_partner",
            entity="coalition",
            entity_id=coalition.id,
            after={"state_id": partner.partner_state_id, "organisation": partner.organisation},
        )
        session.commit()
    return partner


def current_partner(session: Session, coalition: Coalition, partner_id: int) -> CoalitionPartner:
    """A partner that is in the coalition now."""
    partner = session.get(CoalitionPartner, partner_id)
    if partner is None or partner.coalition_id != coalition.id or partner.left_at is not None:
        raise NotFound(N_("No such partner in this coalition."))
    return partner


def partner_name(session: Session, partner: CoalitionPartner, language: str) -> str:
    """The partner state's name in the language, or the partner organisation's."""
    state = session.get(MemberState, partner.partner_state_id) if partner.partner_state_id else None
    return state.name(language) if state else partner.organisation


def partner_leaves(session: Session, *, user: User, coalition: Coalition, partner_id: int) -> None:
    """Records that a partner left; the row stays, so the coalition's history still shows it."""
    _require_lead(user, coalition)
    partner = current_partner(session, coalition, partner_id)
    partner.left_at = clock.now()
    session.add(partner)
    audit.record(
        session,
        actor_id=user.id,
        action="partner_left",
        entity="coalition",
        entity_id=coalition.id,
        after={"partner": partner.id},
    )
    session.commit()


def in_scope(session: Session, coalition: Coalition, need: Need) -> bool:
    """Whether the need is in the coalition's scope already."""
    query = select(CoalitionNeed).where(CoalitionNeed.coalition_id == coalition.id, CoalitionNeed.need_id == need.id)
    return session.exec(query).first() is not None


def add_need(session: Session, *, user: User, coalition: Coalition, need_id: int | str) -> None:
    """Brings one of the state's needs into the coalition's scope."""
    _require_lead(user, coalition)
    _require_active(coalition)
    try:
        need = capacity.get_need(session, int(need_id))
    except (TypeError, ValueError, NotFound):
        need = None
    if need is None or need.state_id != coalition.state_id:
        raise DomainError(N_("Choose one of the state's needs from the list."))
    if in_scope(session, coalition, need):
        raise Conflict(N_("This need is already in the coalition's scope."))
    with once(session, N_("This need is already in the coalition's scope.")):
        session.add(
            CoalitionNeed(
                coalition_id=id_of(coalition),
                need_id=id_of(need),
                added_at=clock.now(),
                added_by=user.id,
            )
        )
        audit.record(
            session,
            actor_id=user.id,
            action="add_need",
            entity="coalition",
            entity_id=coalition.id,
            after={"need": need.id},
        )
        session.commit()


def record_progress(session: Session, *, user: User, coalition: Coalition, text: str) -> CoalitionProgress:
    """An entry in the progress history: what happened between meetings, what was achieved."""
    if not takes_part(session, user, coalition):
        raise Forbidden(N_("Only the coalition's state, its partner states and coordinators may record progress."))
    entry = CoalitionProgress(
        coalition_id=id_of(coalition),
        text=_text(text, TEXT_LIMIT, N_("Describe the progress in at most %(limit)s characters.")),
        at=clock.now(),
        by=user.id,
    )
    session.add(entry)
    audit.record(session, actor_id=user.id, action="progress", entity="coalition", entity_id=coalition.id)
    session.commit()
    return entry


def set_status(session: Session, *, user: User, coalition: Coalition, status: str) -> None:
    _require_lead(user, coalition)
    if status not in COALITION_STATUSES:
        raise DomainError(N_("Choose a status from the list."))
    before = coalition.status
    coalition.status = status
    session.add(coalition)
    audit.record(
        session,
        actor_id=user.id,
        action="status",
        entity="coalition",
        entity_id=coalition.id,
        before={"status": before},
        after={"status": status},
    )
    session.commit()


def schedule_meeting(
    session: Session, settings: Settings, *, user: User, coalition: Coalition, form: meetings.MeetingForm
) -> Meeting:
    """A coalition meeting: the state and its partner states are invited; meeting and link commit together."""
    _require_active(coalition)
    form.body_key, form.working_group_id = MEETING_BODY, None
    invited = {coalition.state_id} | _partner_state_ids(session, coalition)
    meeting = meetings.add_meeting(session, settings, user=user, form=form, invitee_state_ids=sorted(invited))
    session.add(CoalitionMeeting(coalition_id=id_of(coalition), meeting_id=id_of(meeting)))
    session.commit()
    return meeting


def add_action_item(
    session: Session,
    *,
    user: User,
    coalition: Coalition,
    meeting_id: int | str,
    owner_state_id: int | str,
    text: str,
    due_on: str,
) -> ActionItem:
    """An action item raised at one of the coalition's meetings."""
    try:
        chosen = int(meeting_id)
    except (TypeError, ValueError):
        chosen = 0
    meeting = next((m for m in coalition_meetings(session, coalition) if m.id == chosen), None)
    if meeting is None:
        raise DomainError(N_("Choose one of the coalition's meetings."))
    owner = _state(session, owner_state_id, N_("Choose the state that owns the action."))
    return meetings.add_action_item(
        session,
        user=user,
        meeting=meeting,
        owner_state_id=id_of(owner),
        text=text,
        due_on=due_on,
    )


# Reading


def partners(
    session: Session, coalition: Coalition, *, current_only: bool = True
) -> list[tuple[CoalitionPartner, MemberState | None]]:
    query = (
        select(CoalitionPartner, MemberState)
        .join(MemberState, col(MemberState.id) == CoalitionPartner.partner_state_id, isouter=True)
        .where(CoalitionPartner.coalition_id == coalition.id)
    )
    if current_only:
        query = query.where(col(CoalitionPartner.left_at).is_(None))
    return [(partner, state) for partner, state in session.exec(query.order_by(col(CoalitionPartner.id))).all()]


def needs_in_scope(session: Session, coalition: Coalition) -> list[Need]:
    return list(
        session.exec(
            select(Need)
            .join(CoalitionNeed, col(CoalitionNeed.need_id) == Need.id)
            .where(CoalitionNeed.coalition_id == coalition.id)
            .order_by(col(CoalitionNeed.id))
        ).all()
    )


def coalition_meetings(session: Session, coalition: Coalition) -> list[Meeting]:
    return list(
        session.exec(
            select(Meeting)
            .join(CoalitionMeeting, col(CoalitionMeeting.meeting_id) == Meeting.id)
            .where(CoalitionMeeting.coalition_id == coalition.id)
            .order_by(col(Meeting.starts_at))
        ).all()
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a coalition's history: convened, a partner joining or leaving, a need taken up, a meeting, a
    note. `subject` names the partner, need or meeting; `link` leads to it."""

    at: datetime
    kind: str
    subject: str
    by: str = ""
    link: str = ""


def history(
    session: Session,
    coalition: Coalition,
    *,
    language: str,
    every_partner: list[tuple[CoalitionPartner, MemberState | None]] | None = None,
    held: list[Meeting] | None = None,
) -> list[HistoryEntry]:
    """The coalition's progress history, newest first, assembled from what it recorded; a page that has already
    loaded every partner (also those who left) and the meetings passes them in."""
    if every_partner is None:
        every_partner = partners(session, coalition, current_only=False)
    raw: list[tuple[datetime, str, str, int | None, str]] = [
        (coalition.created_at, "convened", coalition.title, coalition.created_by, "")
    ]
    for partner, state in every_partner:
        label = state.name(language) if state else partner.organisation
        raw.append((partner.joined_at, "joined", label, partner.joined_by, ""))
        if partner.left_at:
            raw.append((partner.left_at, "left", label, None, ""))
    for link, need in session.exec(
        select(CoalitionNeed, Need)
        .join(Need, col(Need.id) == CoalitionNeed.need_id)
        .where(CoalitionNeed.coalition_id == coalition.id)
    ).all():
        raw.append((link.added_at, "need", need.description[:120], link.added_by, f"/needs/{need.id}"))
    for meeting in coalition_meetings(session, coalition) if held is None else held:
        raw.append((meeting.starts_at, "meeting", meeting.title(language), None, f"/meetings/{meeting.id}"))
    for note in session.exec(select(CoalitionProgress).where(CoalitionProgress.coalition_id == coalition.id)).all():
        raw.append((note.at, "progress", note.text, note.by, ""))
    ids = {by for *_, by, _ in raw if by is not None}
    names = {user.id: user.display_name for user in session.exec(select(User).where(col(User.id).in_(ids))).all()}
    entries = [
        HistoryEntry(at, kind, subject, names.get(by, "") if by else "", link) for at, kind, subject, by, link in raw
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


@dataclass(frozen=True)
class CoalitionRow:
    coalition: Coalition
    state: MemberState
    partner_count: int
    need_count: int


def list_coalitions(session: Session, *, state_id: int | None = None) -> list[CoalitionRow]:
    """Every coalition (or one state's), active first, in four queries whatever their number."""
    query = select(Coalition, MemberState).join(MemberState, col(MemberState.id) == Coalition.state_id)
    if state_id is not None:
        query = query.where(Coalition.state_id == state_id)
    rows = session.exec(query.order_by(col(Coalition.status), col(Coalition.created_at).desc())).all()
    ids = [coalition.id for coalition, _ in rows]
    partner_counts: dict[int, int] = {}
    for partner in session.exec(
        select(CoalitionPartner).where(
            col(CoalitionPartner.coalition_id).in_(ids), col(CoalitionPartner.left_at).is_(None)
        )
    ).all():
        partner_counts[partner.coalition_id] = partner_counts.get(partner.coalition_id, 0) + 1
    need_counts: dict[int, int] = {}
    for link in session.exec(select(CoalitionNeed).where(col(CoalitionNeed.coalition_id).in_(ids))).all():
        need_counts[link.coalition_id] = need_counts.get(link.coalition_id, 0) + 1
    return [
        CoalitionRow(
            coalition,
            state,
            partner_counts.get(id_of(coalition), 0),
            need_counts.get(id_of(coalition), 0),
        )
        for coalition, state in rows
    ]
