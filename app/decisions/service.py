"""Recording, correcting, publishing and finding the decisions of the network's meetings.

Who may record: coordinators and admins, and the focal points of the state chairing the meeting's body on the
meeting's day. Who may read: a decision follows the part of the meeting it was taken in (members-only parts stay
members-only), a published one is public; under Chatham House a reservation is shown without its state's name to
those who do not read the meeting's attributions."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, extract, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import clock, paging
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.decisions.models import OUTCOMES, RELATIONS, STATUSES, Decision, DecisionAction, DecisionVersion, Reservation
from app.governance import service as governance
from app.governance.models import Body, ChairTerm, WorkingGroup
from app.library import search
from app.meetings import service as meetings
from app.meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from app.members.models import MemberState

TEXT_LIMIT = 5000
WORDS_LIMIT = 2000
ORGANISATION_LIMIT = 160
NOTE_LIMIT = 500
VOTES_LIMIT = 10_000
REGISTER_LIMIT = 500
CSV_CHUNK = 500  # decisions read per query while a CSV file is sent
SEARCH_INDEX = "decision_search"


@dataclass
class DecisionForm:
    """What the recording form sends; reservations are (state id, words) pairs."""

    text_en: str = ""
    text_fr: str = ""
    agenda_item_id: int | None = None
    proposer_state_id: int | None = None
    proposer_organisation: str = ""
    outcome: str = "consensus"
    reservations: list[tuple[int, str]] = field(default_factory=list)
    deferred_to_id: int | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstaining: int | None = None
    relation: str = ""
    related_id: int | None = None


# Who may do what


def votes_allowed(settings: Settings) -> bool:
    """Whether the option's profile lets bodies decide by vote: its `decisions` names votes (the seeds' four say
    "consensus" only)."""
    return "vote" in governance.profile(settings).decisions


def outcomes(settings: Settings) -> dict[str, str]:
    """The outcomes the profile allows, in the form's order."""
    return {key: label for key, label in OUTCOMES.items() if key != "vote" or votes_allowed(settings)}


# The statements a meeting's page runs on every view are built once, with the meeting as bound parameters:
# building one cost more than running it.
_CHAIR_TERM = (
    select(ChairTerm)
    .where(ChairTerm.body_id == bindparam("body_id"), col(ChairTerm.starts_on) <= bindparam("day"))
    .order_by(col(ChairTerm.starts_on).desc(), col(ChairTerm.id).desc())
)
_OF_AND_DEFERRED_TO = (
    select(Decision, Meeting)
    .join(Meeting, col(Meeting.id) == Decision.meeting_id)
    .where(
        or_(
            col(Decision.meeting_id) == bindparam("meeting_id"),
            and_(col(Decision.deferred_to_id) == bindparam("meeting_id"), col(Decision.status) == "deferred"),
        )
    )
    .order_by(col(Meeting.starts_at), col(Decision.id))
)


@cache
def _later_statement(in_group: bool) -> Any:
    return (
        select(Meeting)
        .where(
            col(Meeting.starts_at) > bindparam("after"), Meeting.status == "scheduled", meetings.same_owner(in_group)
        )
        .order_by(col(Meeting.starts_at))
        .limit(20)
    )


@cache
def _earlier_in_force_statement(in_group: bool) -> Any:
    return (
        select(Decision, Meeting)
        .join(Meeting, col(Meeting.id) == Decision.meeting_id)
        .where(
            Decision.status == "in_force",
            col(Meeting.starts_at) <= bindparam("until"),
            meetings.same_owner(in_group),
        )
        .order_by(col(Meeting.starts_at).desc(), col(Decision.id))
    )


def chair_state(session: Session, meeting: Meeting) -> int | None:
    """The state chairing the meeting's body on the meeting's day (a working group's meeting has none)."""
    if meeting.body_id is None or meeting.working_group_id is not None:
        return None
    term = session.exec(_CHAIR_TERM, params={"body_id": meeting.body_id, "day": meeting.starts_at.date()}).first()
    return term.state_id if term else None


def records(session: Session, user: User, meeting: Meeting) -> bool:
    """Coordinators and admins record a meeting's decisions, and the focal points of the chair's state."""
    if governance.coordinates(user):
        return True
    return (
        user.role == Role.focal_point
        and user.member_state_id is not None
        and user.member_state_id == chair_state(session, meeting)
    )


def _require_recorder(session: Session, user: User, meeting: Meeting) -> None:
    if not records(session, user, meeting):
        raise Forbidden(N_("Only coordinators, admins and the meeting's chair record or correct its decisions."))


def _require_coordinator(user: User) -> None:
    if not governance.coordinates(user):
        raise Forbidden(N_("Only coordinators and admins publish decisions or link action items to them."))


# Checking what is recorded


def _same_owner(one: Meeting, other: Meeting) -> bool:
    return (one.body_id, one.working_group_id) == (other.body_id, other.working_group_id)


def _check_meeting_held(meeting: Meeting, now: datetime) -> None:
    if meeting.cancelled:
        raise DomainError(N_("This meeting was cancelled: it took no decisions."))
    if meeting.starts_at > now:
        raise DomainError(N_("This meeting has not taken place yet: record its decisions once it has started."))


def _texts(form: DecisionForm) -> tuple[str, str]:
    """The English and French texts trimmed, at least one of them written and neither too long."""
    text_en, text_fr = form.text_en.strip().replace("\r\n", "\n"), form.text_fr.strip().replace("\r\n", "\n")
    if not text_en and not text_fr:
        raise DomainError(N_("Write the decision in English or in French."))
    if len(text_en) > TEXT_LIMIT or len(text_fr) > TEXT_LIMIT:
        raise DomainError(N_("A decision's text may have at most %(limit)s characters."), limit=TEXT_LIMIT)
    return text_en, text_fr


def _check_agenda_item(session: Session, meeting: Meeting, agenda_item_id: int | None) -> None:
    if agenda_item_id is not None:
        item = session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting.id:
            raise DomainError(N_("Choose an agenda item of this meeting."))


def _check_proposer_state(session: Session, proposer_state_id: int | None) -> None:
    if proposer_state_id is not None and session.get(MemberState, proposer_state_id) is None:
        raise DomainError(N_("Choose the proposing state from the list."))


def _organisation(form: DecisionForm) -> str:
    organisation = form.proposer_organisation.strip()
    if len(organisation) > ORGANISATION_LIMIT:
        raise DomainError(
            N_("The proposing organisation's name may have at most %(limit)s characters."), limit=ORGANISATION_LIMIT
        )
    return organisation


def _check_outcome(settings: Settings, outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise DomainError(N_("Choose how the decision was reached from the list."))
    if outcome == "vote" and not votes_allowed(settings):
        raise DomainError(
            N_("This governance option takes decisions by consensus: a vote cannot be recorded."), status_code=422
        )


def _check_votes(form: DecisionForm) -> None:
    votes = (form.votes_for, form.votes_against, form.votes_abstaining)
    if form.outcome == "vote":
        if any(v is None or v < 0 or v > VOTES_LIMIT for v in votes):
            raise DomainError(N_("Give the number of votes for, against and abstaining."))
    elif any(v is not None for v in votes):
        raise DomainError(N_("Votes are recorded only for a decision taken by vote."))


def _checked(
    session: Session, settings: Settings, meeting: Meeting, form: DecisionForm, now: datetime, errors: FieldErrors
) -> DecisionForm:
    """The form with its text trimmed; what is wrong in it is kept by `errors`, in the form's order, for the caller
    to refuse at once with the fields of its own that follow. What hangs on the outcome is checked once it passed."""
    text_en, text_fr, organisation = form.text_en, form.text_fr, form.proposer_organisation
    with errors.field():
        text_en, text_fr = _texts(form)
    with errors.field():
        _check_agenda_item(session, meeting, form.agenda_item_id)
    with errors.field() as choosing_state:
        _check_proposer_state(session, form.proposer_state_id)
    with errors.field() as naming_organisation:
        organisation = _organisation(form)
    if choosing_state.ok and naming_organisation.ok and form.proposer_state_id is None and not organisation:
        errors.add(DomainError(N_("Name the state or the organisation that proposed the decision.")))
    reservations = [(state_id, words.strip().replace("\r\n", "\n")) for state_id, words in form.reservations]
    with errors.field() as reaching:
        _check_outcome(settings, form.outcome)
    if reaching.ok:
        with errors.field():
            if form.outcome == "reservations":
                _check_reservations(session, meeting, reservations)
            elif reservations:
                raise DomainError(N_("Reservations are noted only for a consensus with reservations."))
        with errors.field():
            if form.outcome == "deferred":
                _check_deferral(session, meeting, form.deferred_to_id, now)
            elif form.deferred_to_id is not None:
                raise DomainError(N_("Only a deferred decision names the meeting it was deferred to."))
        with errors.field():
            _check_votes(form)
    return DecisionForm(
        text_en=text_en,
        text_fr=text_fr,
        agenda_item_id=form.agenda_item_id,
        proposer_state_id=form.proposer_state_id,
        proposer_organisation=organisation,
        outcome=form.outcome,
        reservations=reservations,
        deferred_to_id=form.deferred_to_id,
        votes_for=form.votes_for,
        votes_against=form.votes_against,
        votes_abstaining=form.votes_abstaining,
        relation=form.relation,
        related_id=form.related_id,
    )


def _check_reservations(session: Session, meeting: Meeting, reservations: list[tuple[int, str]]) -> None:
    if not reservations:
        raise DomainError(N_("Name the state that asked for its reservation to be noted, and its words."))
    state_ids = [state_id for state_id, _ in reservations]
    if len(set(state_ids)) != len(state_ids):
        raise DomainError(N_("Note each state's reservation once."))
    if any(not words or len(words) > WORDS_LIMIT for _, words in reservations):
        raise DomainError(
            N_("Write each reservation in the state's words, in at most %(limit)s characters."), limit=WORDS_LIMIT
        )
    present = set(
        session.exec(
            select(Attendance.state_id).where(Attendance.meeting_id == meeting.id, col(Attendance.present).is_(True))
        ).all()
    )
    absent = [state_id for state_id in state_ids if state_id not in present]
    if absent:
        state = session.get(MemberState, absent[0])
        raise DomainError(
            N_("%(state)s did not attend this meeting: only a state present can ask for a reservation to be noted."),
            state=state.code if state else str(absent[0]),
        )


def _check_deferral(session: Session, meeting: Meeting, deferred_to_id: int | None, now: datetime) -> None:
    later = session.get(Meeting, deferred_to_id) if deferred_to_id is not None else None
    if later is None:
        raise DomainError(N_("Choose the later meeting the decision was deferred to."))
    if not _same_owner(later, meeting):
        raise DomainError(N_("A decision can only be deferred to a meeting of the same body or working group."))
    if later.cancelled or later.starts_at <= max(now, meeting.starts_at):
        raise DomainError(N_("A decision can only be deferred to a meeting that has not taken place yet."))


def _check_relation(session: Session, meeting: Meeting, relation: str, related_id: int | None) -> Decision | None:
    if not relation and related_id is None:
        return None
    if relation not in RELATIONS or related_id is None:
        raise DomainError(N_("Choose whether the decision amends or supersedes an earlier one, and which."))
    earlier = session.get(Decision, related_id)
    earlier_meeting = session.get(Meeting, earlier.meeting_id) if earlier else None
    if earlier is None or earlier_meeting is None or not _same_owner(earlier_meeting, meeting):
        raise DomainError(N_("Choose an earlier decision of the same body or working group."))
    if earlier_meeting.starts_at > meeting.starts_at:
        raise DomainError(N_("Choose an earlier decision of the same body or working group."))
    if earlier.status != "in_force":
        raise Conflict(N_("Only a decision in force can be amended or superseded."))
    return earlier


# Writing


def _snapshot(decision: Decision, reservations: Sequence[tuple[int, str]]) -> str:
    return json.dumps(
        {
            "text_en": decision.text_en,
            "text_fr": decision.text_fr,
            "agenda_item_id": decision.agenda_item_id,
            "part": decision.part,
            "proposer_state_id": decision.proposer_state_id,
            "proposer_organisation": decision.proposer_organisation,
            "outcome": decision.outcome,
            "deferred_to_id": decision.deferred_to_id,
            "votes": [decision.votes_for, decision.votes_against, decision.votes_abstaining],
            "relation": decision.relation,
            "related_id": decision.related_id,
            "reservations": [{"state_id": s, "words": w} for s, w in reservations],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _tokens(decision: Decision) -> str:
    seen = dict.fromkeys(
        (search.index_tokens(decision.text_en, "en") + " " + search.index_tokens(decision.text_fr, "fr")).split()
    )
    return " ".join(seen)


def _apply(session: Session, decision: Decision, form: DecisionForm) -> None:
    item = session.get(AgendaItem, form.agenda_item_id) if form.agenda_item_id is not None else None
    decision.text_en, decision.text_fr = form.text_en, form.text_fr
    decision.agenda_item_id = form.agenda_item_id
    decision.part = item.part if item else "members"
    decision.proposer_state_id, decision.proposer_organisation = form.proposer_state_id, form.proposer_organisation
    decision.outcome, decision.deferred_to_id = form.outcome, form.deferred_to_id
    decision.votes_for, decision.votes_against, decision.votes_abstaining = (
        form.votes_for,
        form.votes_against,
        form.votes_abstaining,
    )
    decision.status = {"deferred": "deferred", "withdrawn": "withdrawn"}.get(form.outcome, "in_force")
    decision.search_tokens = _tokens(decision)


def _replace_reservations(session: Session, decision: Decision, reservations: Sequence[tuple[int, str]]) -> None:
    for row in session.exec(select(Reservation).where(Reservation.decision_id == decision.id)).all():
        session.delete(row)
    session.flush()
    for state_id, words in reservations:
        session.add(Reservation(decision_id=id_of(decision), state_id=state_id, words=words))


def record(
    session: Session,
    settings: Settings,
    *,
    user: User,
    meeting: Meeting,
    form: DecisionForm,
    now: datetime | None = None,
) -> Decision:
    """Records a decision the meeting took; a first version of its history is appended with it."""
    _require_recorder(session, user, meeting)
    now = now or clock.now()
    _check_meeting_held(meeting, now)
    errors = FieldErrors()
    checked = _checked(session, settings, meeting, form, now, errors)
    with errors.field():
        earlier = _check_relation(session, meeting, form.relation, form.related_id)
    errors.raise_any()
    decision = Decision(meeting_id=id_of(meeting), recorded_at=now, recorded_by=user.id)
    _apply(session, decision, checked)
    if earlier is not None:
        decision.relation, decision.related_id = form.relation, earlier.id
        if form.relation == "supersedes":
            earlier.status = "superseded"
            session.add(earlier)
    session.add(decision)
    session.flush()
    _replace_reservations(session, decision, checked.reservations)
    session.add(
        DecisionVersion(
            decision_id=id_of(decision),
            kind="recorded",
            content=_snapshot(decision, checked.reservations),
            at=now,
            by=user.id,
        )
    )
    search.index(session, id_of(decision), decision.search_tokens, index_name=SEARCH_INDEX)
    audit.record(
        session,
        actor_id=user.id,
        action="record",
        entity="decision",
        entity_id=decision.id,
        after={"meeting": meeting.id, "outcome": decision.outcome, "related": decision.related_id},
    )
    session.commit()
    return decision


def correct(
    session: Session,
    settings: Settings,
    *,
    user: User,
    decision: Decision,
    form: DecisionForm,
    note: str = "",
    now: datetime | None = None,
) -> Decision:
    """Corrects what was recorded: the decision shows the correction, and its history keeps every earlier version.
    What it amends or supersedes stays as recorded."""
    meeting = session.get(Meeting, decision.meeting_id)
    if meeting is None:
        raise NotFound(N_("No such decision."))
    _require_recorder(session, user, meeting)
    if decision.status == "superseded":
        raise Conflict(N_("This decision has been superseded: it can no longer be corrected."))
    now = now or clock.now()
    errors = FieldErrors()
    checked = _checked(session, settings, meeting, form, now, errors)
    if len(note) > NOTE_LIMIT:
        errors.add(DomainError(N_("The note may have at most 500 characters.")))
    errors.raise_any()
    before = {"outcome": decision.outcome, "text_en": decision.text_en, "text_fr": decision.text_fr}
    _apply(session, decision, checked)
    session.add(decision)
    _replace_reservations(session, decision, checked.reservations)
    session.add(
        DecisionVersion(
            decision_id=id_of(decision),
            kind="corrected",
            content=_snapshot(decision, checked.reservations),
            note=note.strip(),
            at=now,
            by=user.id,
        )
    )
    search.index(session, id_of(decision), decision.search_tokens, index_name=SEARCH_INDEX)
    audit.record(
        session,
        actor_id=user.id,
        action="correct",
        entity="decision",
        entity_id=decision.id,
        before=before,
        after={"outcome": decision.outcome, "text_en": decision.text_en, "text_fr": decision.text_fr},
    )
    session.commit()
    return decision


def set_published(session: Session, *, user: User, decision: Decision, publish: bool) -> Decision:
    """A coordinator shows a decision in its meeting's public summary and on the public page, or takes it back."""
    _require_coordinator(user)
    before = decision.published_at is not None
    decision.published_at = (decision.published_at or clock.now()) if publish else None
    session.add(decision)
    audit.record(
        session,
        actor_id=user.id,
        action="publish" if publish else "unpublish",
        entity="decision",
        entity_id=decision.id,
        before={"published": before},
        after={"published": publish},
    )
    session.commit()
    return decision


def link_action(session: Session, *, user: User, decision: Decision, action_item_id: int) -> DecisionAction:
    """Records that an action item (of the decision's meeting or a later one of the same body or group) carries the
    decision out."""
    _require_coordinator(user)
    item = session.get(ActionItem, action_item_id)
    item_meeting = session.get(Meeting, item.meeting_id) if item else None
    meeting = session.get(Meeting, decision.meeting_id)
    if (
        item is None
        or item_meeting is None
        or meeting is None
        or not _same_owner(item_meeting, meeting)
        or item_meeting.starts_at < meeting.starts_at
    ):
        raise DomainError(N_("Choose an action item of this meeting or of a later one of the same body."))
    if decision.status != "in_force":
        raise Conflict(N_("Only a decision in force is carried out by action items."))
    taken = session.exec(select(DecisionAction).where(DecisionAction.action_item_id == action_item_id)).first()
    if taken is not None:
        raise Conflict(N_("This action item already carries out a decision."))
    link = DecisionAction(
        decision_id=id_of(decision), action_item_id=action_item_id, linked_at=clock.now(), linked_by=user.id
    )
    session.add(link)
    audit.record(
        session,
        actor_id=user.id,
        action="link_action",
        entity="decision",
        entity_id=decision.id,
        after={"action_item": action_item_id},
    )
    session.commit()
    return link


# Reading


@dataclass(frozen=True)
class Shown:
    """A reservation as one reader sees it: the state is None when Chatham House hides it from them."""

    state: MemberState | None
    words: str


@dataclass
class Row:
    """A decision with what its pages show, loaded for many decisions at once."""

    decision: Decision
    meeting: Meeting
    body: Body | None
    group: WorkingGroup | None
    proposer: MemberState | None
    reservations: list[Shown]
    attributions: bool
    actions: list[ActionItem] = field(default_factory=list)
    related: Decision | None = None
    followers: list[Decision] = field(default_factory=list)
    deferred_to: Meeting | None = None

    @property
    def status_label(self) -> str:
        return STATUSES[self.decision.status]

    @property
    def outcome_label(self) -> str:
        return OUTCOMES[self.decision.outcome]


@dataclass(frozen=True)
class Known:
    """What a page has read already, so the decision rows it shows need not read it again: the meetings the reader
    is known to open (with whether they read their members' part), and every state, body and working group by id."""

    opened: dict[int, bool]
    states: dict[int, MemberState]
    bodies: dict[int, Body]
    groups: dict[int, WorkingGroup]


def _readable(
    session: Session, user: User | None, pairs: Sequence[tuple[Decision, Meeting]], opened: dict[int, bool]
) -> dict[int, bool]:
    """For each readable decision: whether the reader sees attributions (the meeting's members-only parts). A few
    queries whatever the number: one for the meetings the reader may open, one per body or group for its members;
    none for the meetings of `opened`, which the reader is known to open (with whether they read their members'
    part)."""
    if user is not None and governance.coordinates(user):
        return {id_of(d): True for d, _ in pairs}
    meetings_by_id = {id_of(m): m for _, m in pairs}
    others = [meeting for meeting_id, meeting in meetings_by_id.items() if meeting_id not in opened]
    openable = {id_of(m) for m in meetings.openable(session, user, others)} | set(opened) if user else set()
    attributing: dict[tuple[int | None, int | None], bool] = {
        (meetings_by_id[meeting_id].body_id, meetings_by_id[meeting_id].working_group_id): member
        for meeting_id, member in opened.items()
        if meeting_id in meetings_by_id
    }
    if user is not None:
        for meeting in meetings_by_id.values():
            owner = (meeting.body_id, meeting.working_group_id)
            if owner not in attributing:
                attributing[owner] = meetings.reads_members_part(user, meetings.member_states(session, meeting))
    readable: dict[int, bool] = {}
    for decision, meeting in pairs:
        member = attributing.get((meeting.body_id, meeting.working_group_id), False)
        opens = meeting.id in openable and (decision.part == "observers" or member)
        if opens or decision.published_at is not None:
            readable[id_of(decision)] = member
    return readable


def _rows(
    session: Session, user: User | None, pairs: Sequence[tuple[Decision, Meeting]], known: Known | None = None
) -> list[Row]:
    readable = _readable(session, user, pairs, known.opened if known else {})
    pairs = [(d, m) for d, m in pairs if id_of(d) in readable]
    if not pairs:
        return []
    ids = [id_of(d) for d, _ in pairs]
    reservations: dict[int, list[Reservation]] = defaultdict(list)
    for row in session.exec(
        select(Reservation).where(col(Reservation.decision_id).in_(ids)).order_by(col(Reservation.id))
    ).all():
        reservations[row.decision_id].append(row)
    state_ids = {d.proposer_state_id for d, _ in pairs if d.proposer_state_id} | {
        r.state_id for rows in reservations.values() for r in rows
    }
    if known is not None:
        states, bodies, groups = known.states, known.bodies, known.groups
    else:
        states, bodies, groups = _names_of(session, pairs, state_ids)
    result = []
    for decision, meeting in pairs:
        attributions = readable[id_of(decision)]
        names = attributions or not meeting.chatham_house
        result.append(
            Row(
                decision=decision,
                meeting=meeting,
                body=bodies.get(meeting.body_id) if meeting.body_id else None,
                group=groups.get(meeting.working_group_id) if meeting.working_group_id else None,
                proposer=states.get(decision.proposer_state_id) if decision.proposer_state_id else None,
                reservations=[
                    Shown(states.get(r.state_id) if names else None, r.words) for r in reservations[id_of(decision)]
                ],
                attributions=attributions,
            )
        )
    return result


def _names_of(
    session: Session, pairs: Sequence[tuple[Decision, Meeting]], state_ids: set[int]
) -> tuple[dict[int, MemberState], dict[int, Body], dict[int, WorkingGroup]]:
    """The states, bodies and working groups decision rows name, by id."""
    states = {id_of(s): s for s in session.exec(select(MemberState).where(col(MemberState.id).in_(state_ids))).all()}
    bodies = {id_of(b): b for b in session.exec(select(Body)).all()}
    group_ids = {m.working_group_id for _, m in pairs if m.working_group_id}
    groups = {id_of(g): g for g in session.exec(select(WorkingGroup).where(col(WorkingGroup.id).in_(group_ids))).all()}
    return states, bodies, groups


@dataclass
class Filters:
    """The register's filters, as the query string gives them."""

    body_id: int | None = None
    working_group_id: int | None = None
    year: int | None = None
    track: str = ""
    status: str = ""
    state_id: int | None = None
    q: str = ""


def _register_query(session: Session, filters: Filters) -> Any:
    query = (
        select(Decision, Meeting)
        .join(Meeting, col(Meeting.id) == Decision.meeting_id)
        .outerjoin(Body, col(Body.id) == Meeting.body_id)
        .outerjoin(WorkingGroup, col(WorkingGroup.id) == Meeting.working_group_id)
    )
    if filters.body_id is not None:
        query = query.where(Meeting.body_id == filters.body_id)
    if filters.working_group_id is not None:
        query = query.where(Meeting.working_group_id == filters.working_group_id)
    if filters.year is not None:
        query = query.where(extract("year", col(Meeting.starts_at)) == filters.year)
    if filters.track:
        query = query.where(or_(col(WorkingGroup.track) == filters.track, col(Body.track) == filters.track))
    if filters.status:
        if filters.status not in STATUSES:
            raise DomainError(N_("Choose a status from the list."))
        query = query.where(Decision.status == filters.status)
    if filters.q.strip():
        query = query.where(search.matches(session, search.parse_query(filters.q), index_name=SEARCH_INDEX))
    if filters.state_id is not None:
        reserving = select(Reservation.decision_id).where(Reservation.state_id == filters.state_id)
        query = query.where(or_(col(Decision.proposer_state_id) == filters.state_id, col(Decision.id).in_(reserving)))
    return query.order_by(col(Meeting.starts_at).desc(), col(Decision.id))


def _register_rows(
    session: Session, user: User | None, filters: Filters, pairs: Sequence[tuple[Decision, Meeting]]
) -> list[Row]:
    rows = _rows(session, user, [(d, m) for d, m in pairs])
    if filters.state_id is not None:
        # A reservation hidden by Chatham House does not let its state be found through the filter either.
        rows = [
            row
            for row in rows
            if row.decision.proposer_state_id == filters.state_id
            or any(shown.state is not None and shown.state.id == filters.state_id for shown in row.reservations)
        ]
    return rows


def register(session: Session, *, user: User | None, filters: Filters, page: int | None = None) -> list[Row]:
    """The decisions the reader may read that match the filters, newest meeting first: a fixed number of queries
    whatever their number. With `page`, that page's rows and one more (see app.core.paging), else the first
    REGISTER_LIMIT."""
    query = _register_query(session, filters)
    if page is None:
        query = query.limit(REGISTER_LIMIT)
    else:
        query = query.limit(paging.PAGE_SIZE + 1).offset(paging.offset(page))
    return _register_rows(session, user, filters, session.exec(query).all())


def register_chunks(
    session: Session, *, user: User | None, filters: Filters, size: int | None = None
) -> Iterator[list[Row]]:
    """Every decision of the register the reader may read, in the register's order, `size` at a time, for a file
    sent as it is written: a fixed number of queries per chunk. The request's session stays open until a streamed
    response is sent (FastAPI closes dependencies with yield after it). A refused search is raised by the first
    `next()`."""
    query = _register_query(session, filters)
    size = size or CSV_CHUNK
    start = 0
    while True:
        pairs = session.exec(query.limit(size).offset(start)).all()
        yield _register_rows(session, user, filters, pairs)
        if len(pairs) < size:
            return
        start += size


def of_meeting(session: Session, *, user: User | None, meeting: Meeting) -> list[Row]:
    """The meeting's decisions the reader may read, in the order recorded."""
    pairs = session.exec(
        select(Decision, Meeting)
        .join(Meeting, col(Meeting.id) == Decision.meeting_id)
        .where(Decision.meeting_id == meeting.id)
        .order_by(col(Decision.id))
    ).all()
    return _rows(session, user, [(d, m) for d, m in pairs])


def deferred_to(session: Session, *, user: User | None, meeting: Meeting) -> list[Row]:
    """Decisions deferred to this meeting, for its draft agenda."""
    pairs = session.exec(
        select(Decision, Meeting)
        .join(Meeting, col(Meeting.id) == Decision.meeting_id)
        .where(Decision.deferred_to_id == meeting.id, Decision.status == "deferred")
        .order_by(col(Meeting.starts_at), col(Decision.id))
    ).all()
    return _rows(session, user, [(d, m) for d, m in pairs])


def of_and_deferred_to(session: Session, *, user: User, meeting: Meeting, known: Known) -> tuple[list[Row], list[Row]]:
    """What of_meeting() and deferred_to() return, read together, with what the meeting page has read: one query for
    both lists' decisions."""
    pairs = session.exec(_OF_AND_DEFERRED_TO, params={"meeting_id": meeting.id}).all()
    rows = _rows(session, user, [(d, m) for d, m in pairs], known)
    own = [row for row in rows if row.decision.meeting_id == meeting.id]
    deferred = [row for row in rows if row.decision.deferred_to_id == meeting.id and row.decision.status == "deferred"]
    return own, deferred


def published(session: Session, *, limit: int = 20) -> list[Row]:
    """Published decisions for the public page, newest first, read as an anonymous visitor would."""
    pairs = session.exec(
        select(Decision, Meeting)
        .join(Meeting, col(Meeting.id) == Decision.meeting_id)
        .where(col(Decision.published_at).is_not(None))
        .order_by(col(Meeting.starts_at).desc(), col(Decision.id))
        .limit(limit)
    ).all()
    return _rows(session, None, [(d, m) for d, m in pairs])


@dataclass
class Page:
    row: Row
    versions: list[tuple[DecisionVersion, str | None]]
    runs: bool
    records: bool


def get(session: Session, decision_id: int, *, user: User | None) -> Page:
    """A decision's stable page: the decision, what follows from it, and its history; not found for a reader who
    may not read it."""
    decision = session.get(Decision, decision_id)
    meeting = session.get(Meeting, decision.meeting_id) if decision else None
    rows = _rows(session, user, [(decision, meeting)]) if decision and meeting else []
    if not rows:
        raise NotFound(N_("No such decision."))
    row = rows[0]
    row.actions = list(
        session.exec(
            select(ActionItem)
            .join(DecisionAction, col(DecisionAction.action_item_id) == ActionItem.id)
            .where(DecisionAction.decision_id == decision_id)
            .order_by(col(ActionItem.id))
        ).all()
    )
    row.related = session.get(Decision, row.decision.related_id) if row.decision.related_id else None
    row.followers = list(
        session.exec(select(Decision).where(Decision.related_id == decision_id).order_by(col(Decision.id))).all()
    )
    row.deferred_to = session.get(Meeting, row.decision.deferred_to_id) if row.decision.deferred_to_id else None
    versions: list[tuple[DecisionVersion, str | None]] = [
        (version, name)
        for version, name in session.exec(
            select(DecisionVersion, User.display_name)
            .outerjoin(User, col(User.id) == DecisionVersion.by)
            .where(DecisionVersion.decision_id == decision_id)
            .order_by(col(DecisionVersion.id))
        ).all()
    ]
    return Page(
        row=row,
        versions=versions,
        runs=user is not None and governance.coordinates(user),
        records=user is not None and records(session, user, row.meeting),
    )


def version_text(version: DecisionVersion, language: str) -> str:
    """The wording a version recorded, in the reader's language when it has it."""
    content = json.loads(version.content)
    first, second = ("text_fr", "text_en") if language == "fr" else ("text_en", "text_fr")
    return str(content.get(first) or content.get(second) or "")


def linkable_actions(session: Session, decision: Decision) -> list[ActionItem]:
    """Action items of the decision's meeting and of later meetings of the same body or group, not yet linked."""
    meeting = session.get(Meeting, decision.meeting_id)
    if meeting is None:
        return []
    later = select(Meeting.id).where(col(Meeting.starts_at) >= meeting.starts_at)
    if meeting.working_group_id is not None:
        later = later.where(Meeting.working_group_id == meeting.working_group_id)
    else:
        later = later.where(Meeting.body_id == meeting.body_id, col(Meeting.working_group_id).is_(None))
    linked = select(DecisionAction.action_item_id)
    return list(
        session.exec(
            select(ActionItem)
            .where(col(ActionItem.meeting_id).in_(later), col(ActionItem.id).not_in(linked))
            .order_by(col(ActionItem.id))
        ).all()
    )


def later_meetings(session: Session, meeting: Meeting, *, now: datetime | None = None) -> list[Meeting]:
    """Meetings of the same body or group still to come: where a decision can be deferred to."""
    after = max(now or clock.now(), meeting.starts_at)
    statement = _later_statement(meeting.working_group_id is not None)
    return list(session.exec(statement, params={"after": after, **meetings.owner_values(meeting)}).all())


def earlier_in_force(session: Session, meeting: Meeting) -> list[tuple[Decision, Meeting]]:
    """Decisions in force of the same body or group up to this meeting: what a new one may amend or supersede."""
    statement = _earlier_in_force_statement(meeting.working_group_id is not None)
    found = session.exec(statement, params={"until": meeting.starts_at, **meetings.owner_values(meeting)}).all()
    return [(d, m) for d, m in found]


def present_states(session: Session, meeting: Meeting) -> list[MemberState]:
    """The states recorded present: those who can ask for a reservation to be noted."""
    return list(
        session.exec(
            select(MemberState)
            .join(Attendance, col(Attendance.state_id) == MemberState.id)
            .where(Attendance.meeting_id == meeting.id, col(Attendance.present).is_(True))
            .order_by(col(MemberState.name_en))
        ).all()
    )
