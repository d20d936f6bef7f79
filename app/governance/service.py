"""The governance option made real: which bodies are active or dormant, voluntary membership with its
history, chairs, and working groups. Switching the option only changes what is shown; nothing is deleted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import service as accounts
from app.auth.models import Role, User
from app.core import clock, region
from app.core.config import Settings
from app.core.db import id_of, once
from app.core.errors import Conflict, DomainError, Dormant, Forbidden, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.core.region import Localised, Profile
from app.governance import mail
from app.governance.models import (
    TRACKS,
    Body,
    ChairTerm,
    MembershipEvent,
    OptionSwitch,
    WorkingGroup,
    WorkingGroupEvent,
)
from app.members.models import MemberState
from app.outbox import service as outbox

REQUESTS = {"join": "join_requested", "withdraw": "withdrawal_requested"}
DECISIONS = {
    ("join_requested", True): "joined",
    ("join_requested", False): "join_declined",
    ("withdrawal_requested", True): "withdrawn",
    ("withdrawal_requested", False): "withdrawal_declined",
}
MEMBER_KINDS = frozenset({"joined", "withdrawal_requested", "withdrawal_declined"})
COORDINATING_ROLES = frozenset({Role.admin, Role.coordinator})


def profile(settings: Settings) -> Profile:
    return region.load(settings.seeds_dir).profiles[settings.governance_option]


def is_active(body: Body, settings: Settings) -> bool:
    """Regional bodies always are; a network body is active when the current option has it."""
    return body.kind == "regional" or body.key in profile(settings).bodies


def sees_dormant(user: User | None) -> bool:
    return user is not None and user.role == Role.admin


def option_label(settings: Settings) -> Localised:
    """The name of the option in force, in both languages (a message parameter shown in the reader's)."""
    return region.load(settings.seeds_dir).options[settings.governance_option].label


def _name(body: Body) -> Localised:
    return Localised(body.name_en, body.name_fr)


class Owned(Protocol):
    """Something held under a body or one of its working groups: a meeting or a meeting series."""

    @property
    def body_id(self) -> int | None: ...

    @property
    def working_group_id(self) -> int | None: ...


@dataclass(frozen=True)
class Dormancy:
    """The network bodies the option in force leaves dormant and their working groups, by id."""

    bodies: frozenset[int]
    groups: frozenset[int]

    def holds(self, owned: Owned) -> bool:
        """Whether a meeting or series is held under a dormant body or a working group of one."""
        return owned.body_id in self.bodies or owned.working_group_id in self.groups


def dormancy(session: Session, settings: Settings) -> Dormancy:
    """What the option in force leaves dormant, in one query."""
    rows = session.exec(
        select(Body.id, WorkingGroup.id)
        .outerjoin(WorkingGroup, col(WorkingGroup.body_id) == Body.id)
        .where(Body.kind == "network", col(Body.key).not_in(profile(settings).bodies))
    ).all()
    return Dormancy(
        frozenset(body_id for body_id, _ in rows if body_id is not None),
        frozenset(group_id for _, group_id in rows if group_id is not None),
    )


def dormancy_among(settings: Settings, bodies: list[Body], groups: list[WorkingGroup]) -> Dormancy:
    """What the option in force leaves dormant, from every body and working group a page has already read."""
    kept = profile(settings).bodies
    dormant = frozenset(id_of(body) for body in bodies if body.kind == "network" and body.key not in kept)
    return Dormancy(dormant, frozenset(id_of(group) for group in groups if group.body_id in dormant))


def check_changeable(body: Body, settings: Settings) -> None:
    """Refuses any change to a body the option in force leaves dormant, or to what hangs on it: it is read only."""
    if not is_active(body, settings):
        raise Conflict(
            N_(
                "%(name)s is dormant under the %(option)s, the governance option in force: it can be read, not "
                "changed, until the portal runs an option that has it."
            ),
            name=_name(body),
            option=option_label(settings),
        )


def coordinates(user: User | None) -> bool:
    return user is not None and user.role in COORDINATING_ROLES


def taking_part(session: Session, settings: Settings) -> list[tuple[MemberState, bool]]:
    """The region's states and territories, each with whether it is a member of a network body the current option
    runs (for the public page: three queries whatever the size of the region)."""
    active = {
        body.id for body in session.exec(select(Body).where(Body.kind == "network")).all() if is_active(body, settings)
    }
    members = {
        state_id
        for (body_id, state_id), standing in memberships(session).items()
        if body_id in active and standing.is_member
    }
    states = session.exec(select(MemberState).order_by(col(MemberState.subregion), col(MemberState.name_en))).all()
    return [(state, state.id in members) for state in states]


# The option's history


def record_option(session: Session, option: str) -> OptionSwitch | None:
    """Appends the option the portal starts with, when it differs from the last one recorded."""
    last = session.exec(select(OptionSwitch).order_by(col(OptionSwitch.id).desc())).first()
    if last is not None and last.option == option:
        return None
    switch = OptionSwitch(option=option, previous=last.option if last else "", at=clock.now())
    session.add(switch)
    audit.record(
        session,
        actor_id=None,
        action="switch_option",
        entity="governance",
        before={"option": switch.previous or None},
        after={"option": option},
    )
    session.commit()
    return switch


def option_history(session: Session) -> list[OptionSwitch]:
    return list(session.exec(select(OptionSwitch).order_by(col(OptionSwitch.id).desc())).all())


# Bodies


def all_bodies(session: Session, settings: Settings) -> list[tuple[Body, bool]]:
    """Every body with whether the option in force has it active."""
    bodies = session.exec(select(Body).order_by(col(Body.kind).desc(), col(Body.id))).all()
    return [(body, is_active(body, settings)) for body in bodies]


def list_bodies(session: Session, settings: Settings, *, user: User | None) -> list[tuple[Body, bool]]:
    """Bodies with whether each is active; dormant ones only for admins."""
    return [(body, active) for body, active in all_bodies(session, settings) if active or sees_dormant(user)]


def get_body(session: Session, settings: Settings, key: str, *, user: User | None) -> Body:
    """A body by its key; anyone but an admin is told a dormant one is dormant, not shown it."""
    body = session.exec(select(Body).where(Body.key == key)).first()
    if body is None:
        raise NotFound(N_("This body does not exist."))
    if not (is_active(body, settings) or sees_dormant(user)):
        raise Dormant(
            N_(
                "%(name)s is dormant under the %(option)s, the governance option in force. Nothing has been "
                "deleted: its members, chairs and history are kept and come back when the portal runs an option "
                "that has it."
            ),
            name=_name(body),
            option=option_label(settings),
        )
    return body


# Membership


@dataclass(frozen=True)
class MembershipState:
    """Where one state stands with one body, from its latest event."""

    body_id: int
    state_id: int
    latest: MembershipEvent
    since: datetime | None

    @property
    def is_member(self) -> bool:
        return self.latest.kind in MEMBER_KINDS

    @property
    def pending(self) -> bool:
        return self.latest.kind in REQUESTS.values()


def _states_from(events: list[MembershipEvent]) -> dict[tuple[int, int], MembershipState]:
    """Folds ordered events into each (body, state)'s latest event and membership start."""
    result: dict[tuple[int, int], MembershipState] = {}
    since: dict[tuple[int, int], datetime | None] = {}
    for event in events:
        key = (event.body_id, event.state_id)
        if event.kind == "joined":
            since[key] = event.at
        elif event.kind == "withdrawn":
            since[key] = None
        result[key] = MembershipState(event.body_id, event.state_id, event, since.get(key))
    return result


def memberships(
    session: Session, *, body_id: int | None = None, state_id: int | None = None
) -> dict[tuple[int, int], MembershipState]:
    """Every (body, state) pair's standing, in one query."""
    query = select(MembershipEvent).order_by(col(MembershipEvent.at), col(MembershipEvent.id))
    if body_id is not None:
        query = query.where(MembershipEvent.body_id == body_id)
    if state_id is not None:
        query = query.where(MembershipEvent.state_id == state_id)
    return _states_from(list(session.exec(query).all()))


# Built once: every meeting page asks it, and building the statement cost more than running it.
_BODY_EVENTS = (
    select(MembershipEvent.state_id, MembershipEvent.kind)
    .where(MembershipEvent.body_id == bindparam("body_id"))
    .order_by(col(MembershipEvent.at), col(MembershipEvent.id))
)


def member_state_ids(session: Session, body_id: int) -> set[int]:
    """The states that are members of a body now, by their latest events (read as columns: no event is loaded)."""
    latest: dict[int, str] = {}
    for state_id, kind in session.execute(_BODY_EVENTS, {"body_id": body_id}):
        latest[state_id] = kind
    return {state_id for state_id, kind in latest.items() if kind in MEMBER_KINDS}


def history(
    session: Session, *, body_id: int | None = None, state_id: int | None = None
) -> list[tuple[MembershipEvent, Body, MemberState, str | None]]:
    """Membership events, newest first, with body, state and who recorded them."""
    query = (
        select(MembershipEvent, Body, MemberState, User.display_name)
        .join(Body, col(Body.id) == MembershipEvent.body_id)
        .join(MemberState, col(MemberState.id) == MembershipEvent.state_id)
        .outerjoin(User, col(User.id) == MembershipEvent.recorded_by)
        .order_by(col(MembershipEvent.at).desc(), col(MembershipEvent.id).desc())
    )
    if body_id is not None:
        query = query.where(MembershipEvent.body_id == body_id)
    if state_id is not None:
        query = query.where(MembershipEvent.state_id == state_id)
    return [(event, body, state, name) for event, body, state, name in session.exec(query).all()]


def _standing(session: Session, body: Body, state: MemberState) -> MembershipState | None:
    body_id, state_id = id_of(body), id_of(state)
    return memberships(session, body_id=body_id, state_id=state_id).get((body_id, state_id))


def _check_joinable(body: Body, settings: Settings) -> None:
    if body.kind != "network":
        raise DomainError(N_("States cannot join this body through the portal."))
    check_changeable(body, settings)


def request_membership(
    session: Session, settings: Settings, *, user: User, body: Body, state: MemberState, action: str, note: str = ""
) -> MembershipEvent:
    """A focal point asks to join or withdraw for their own state; a coordinator confirms later."""
    _check_joinable(body, settings)
    if user.role == Role.focal_point and user.member_state_id != state.id:
        raise Forbidden(N_("You can act only for your own state."))
    if action not in REQUESTS:
        raise DomainError(N_("Choose to join or to withdraw."))
    standing = _standing(session, body, state)
    if standing is not None and standing.pending:
        raise Conflict(N_("A request for this state is already waiting for confirmation."))
    is_member = standing is not None and standing.is_member
    if action == "join" and is_member:
        raise Conflict(N_("This state is already a member."))
    if action == "withdraw" and not is_member:
        raise Conflict(N_("This state is not a member, so it cannot withdraw."))
    event = _append(
        session,
        user=user,
        body=body,
        state=state,
        kind=REQUESTS[action],
        note=note,
        after=standing,
        refusal=N_("A request for this state is already waiting for confirmation."),
    )
    _tell_coordinators(session, settings, requester=user, body=body, state=state, event=event)
    session.commit()
    return event


def decide(
    session: Session, settings: Settings, *, user: User, event_id: int, accept: bool, note: str = ""
) -> MembershipEvent:
    """A coordinator or admin confirms (or declines) the pending request an event made."""
    if not coordinates(user):
        raise Forbidden(N_("Only coordinators and admins confirm memberships."))
    request = session.get(MembershipEvent, event_id)
    if request is None:
        raise NotFound(N_("No such request."))
    body, state = session.get(Body, request.body_id), session.get(MemberState, request.state_id)
    assert body is not None and state is not None
    _check_joinable(body, settings)
    standing = _standing(session, body, state)
    if standing is None or standing.latest.id != request.id or not standing.pending:
        raise Conflict(N_("This request has been answered already."))
    event = _append(
        session,
        user=user,
        body=body,
        state=state,
        kind=DECISIONS[(request.kind, accept)],
        note=note,
        after=standing,
        refusal=N_("This request has been answered already."),
    )
    _tell_focal_points(session, settings, coordinator=user, body=body, state=state, event=event)
    session.commit()
    return event


def record_membership(
    session: Session, settings: Settings, *, user: User, body: Body, state: MemberState, note: str = ""
) -> MembershipEvent:
    """A coordinator records a state's membership directly (a decision taken at a meeting)."""
    if not coordinates(user):
        raise Forbidden(N_("Only coordinators and admins confirm memberships."))
    _check_joinable(body, settings)
    standing = _standing(session, body, state)
    if standing is not None and standing.is_member:
        raise Conflict(N_("This state is already a member."))
    event = _append(
        session,
        user=user,
        body=body,
        state=state,
        kind="joined",
        note=note,
        after=standing,
        refusal=N_("This state is already a member."),
    )
    session.commit()
    return event


def _append(
    session: Session,
    *,
    user: User,
    body: Body,
    state: MemberState,
    kind: str,
    note: str,
    after: MembershipState | None,
    refusal: str,
) -> MembershipEvent:
    """Appends the step that follows `after` (the standing it was decided on) and its audit entry; the caller commits,
    with the emails it queues. A step taken at the same moment from the same standing got that place in the history
    first: this one is refused with `refusal`, nothing is stored."""
    if len(note) > 500:
        raise DomainError(N_("The note may have at most 500 characters."))
    event = MembershipEvent(
        body_id=id_of(body),
        state_id=id_of(state),
        seq=after.latest.seq + 1 if after is not None else 1,
        kind=kind,
        at=clock.now(),
        recorded_by=user.id,
        note=note.strip(),
    )
    with once(session, refusal):
        session.add(event)
        session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action=kind,
        entity="membership",
        entity_id=event.id,
        after={"body": body.key, "state": state.code, "note": event.note},
    )
    return event


def _tell_coordinators(
    session: Session, settings: Settings, *, requester: User, body: Body, state: MemberState, event: MembershipEvent
) -> None:
    """Queues the request to every active coordinator (to the admins while there is none), each in their language."""
    recipients = accounts.active_accounts(session, role=Role.coordinator) or accounts.active_accounts(
        session, role=Role.admin
    )
    url = f"{settings.base_url}/bodies/{body.key}#request-{event.id}"
    for recipient in recipients:
        subject, text = mail.request_message(
            user=recipient, person=requester.display_name, state=state, body=body, event=event, url=url
        )
        outbox.queue(session, recipient=recipient.email, subject=subject, body=text)


def _tell_focal_points(
    session: Session, settings: Settings, *, coordinator: User, body: Body, state: MemberState, event: MembershipEvent
) -> None:
    """Queues the answer to every active focal point of the requesting state, each in their language."""
    url = f"{settings.base_url}/bodies/{body.key}"
    for recipient in accounts.focal_points_of(session, state_id=id_of(state)):
        subject, text = mail.decision_message(
            user=recipient, coordinator=coordinator.display_name, state=state, body=body, event=event, url=url
        )
        outbox.queue(session, recipient=recipient.email, subject=subject, body=text)


def pending_requests(session: Session, settings: Settings) -> list[tuple[MembershipEvent, Body, MemberState]]:
    """Requests waiting for a coordinator, on active bodies, oldest first."""
    bodies = {body.id: body for body in session.exec(select(Body)).all()}
    states = {state.id: state for state in session.exec(select(MemberState)).all()}
    waiting = sorted(
        (standing.latest for standing in memberships(session).values() if standing.pending),
        key=lambda event: (event.at, event.id or 0),
    )
    return [
        (event, bodies[event.body_id], states[event.state_id])
        for event in waiting
        if is_active(bodies[event.body_id], settings)
    ]


# Chairs


def record_chair(
    session: Session, settings: Settings, *, user: User, body: Body, state: MemberState, starts_on: date, note: str = ""
) -> ChairTerm:
    """Records who chairs a body from a date; the previous terms stay as the rotation's history."""
    if not coordinates(user):
        raise Forbidden(N_("Only coordinators and admins record chairs."))
    _check_joinable(body, settings)
    standing = _standing(session, body, state)
    if standing is None or not standing.is_member:
        raise DomainError(N_("Only a member state can chair this body."))
    term = ChairTerm(
        body_id=id_of(body),
        state_id=id_of(state),
        starts_on=starts_on,
        recorded_at=clock.now(),
        recorded_by=user.id,
        note=note.strip()[:500],
    )
    session.add(term)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="record_chair",
        entity="body",
        entity_id=body.key,
        after={"state": state.code, "starts_on": starts_on.isoformat()},
    )
    session.commit()
    return term


def chairs(session: Session, body: Body) -> list[tuple[ChairTerm, MemberState]]:
    """The rotation, newest term first."""
    return [
        (term, state)
        for term, state in session.exec(
            select(ChairTerm, MemberState)
            .join(MemberState, col(MemberState.id) == ChairTerm.state_id)
            .where(ChairTerm.body_id == body.id)
            .order_by(col(ChairTerm.starts_on).desc(), col(ChairTerm.id).desc())
        ).all()
    ]


# Working groups


def allowed_tracks(body: Body, settings: Settings) -> tuple[str, ...]:
    return profile(settings).working_groups.get(body.key, ())


def working_group_bodies(session: Session, settings: Settings) -> list[Body]:
    """The bodies under which the current option lets coordinators create working groups."""
    keys = profile(settings).working_groups
    return list(session.exec(select(Body).where(col(Body.key).in_(keys)).order_by(col(Body.id))).all())


def _check_group_name(name: str) -> None:
    if not name.strip() or len(name) > 160:
        raise DomainError(N_("Enter a name of 1 to 160 characters."))


def _check_mandate(mandate: str) -> None:
    if len(mandate) > 5000:
        raise DomainError(N_("The mandate may have at most 5000 characters."))


def _lead_state(session: Session, lead_state_id: int | None) -> MemberState:
    lead = session.get(MemberState, lead_state_id) if lead_state_id else None
    if lead is None:
        raise DomainError(N_("Choose the lead state."))
    return lead


def _group_body(session: Session, settings: Settings, body_key: str) -> Body:
    """The body the group is created under, one the current option allows working groups under."""
    body = session.exec(select(Body).where(Body.key == body_key)).first()
    if body is None or body.key not in profile(settings).working_groups:
        raise DomainError(N_("Choose a body under which the current option allows working groups."))
    return body


def _check_track(body: Body, settings: Settings, track: str) -> None:
    if track not in allowed_tracks(body, settings):
        raise DomainError(
            N_("This body's working groups may have these tracks only: %(tracks)s."),
            tracks=", ".join(allowed_tracks(body, settings)),
        )


def _check_member_states(session: Session, member_state_ids: list[int]) -> None:
    chosen = sorted(set(member_state_ids))
    known = session.exec(select(func.count()).select_from(MemberState).where(col(MemberState.id).in_(chosen))).one()
    if known != len(chosen):
        raise DomainError(N_("Choose member states from the list."))


def _check_group_fields(session: Session, *, name: str, mandate: str, lead_state_id: int | None) -> MemberState:
    """The lead state, or one refusal naming every wrong field of the group's edit form, in its order."""
    errors = FieldErrors()
    with errors.field():
        _check_group_name(name)
    with errors.field():
        lead = _lead_state(session, lead_state_id)
    with errors.field():
        _check_mandate(mandate)
    errors.raise_any()
    return lead


def _checked_new_group(
    session: Session,
    settings: Settings,
    *,
    body_key: str,
    name: str,
    track: str,
    lead_state_id: int | None,
    mandate: str,
    member_state_ids: list[int],
) -> tuple[Body, MemberState]:
    """The body and the lead state, or one refusal naming every wrong field of the creation form, in its order; the
    track is checked once the body passed."""
    errors = FieldErrors()
    with errors.field():
        _check_group_name(name)
    with errors.field() as choosing_body:
        body = _group_body(session, settings, body_key)
    if choosing_body.ok:
        with errors.field():
            _check_track(body, settings, track)
    with errors.field():
        lead = _lead_state(session, lead_state_id)
    with errors.field():
        _check_member_states(session, member_state_ids)
    with errors.field():
        _check_mandate(mandate)
    errors.raise_any()
    return body, lead


def create_working_group(
    session: Session,
    settings: Settings,
    *,
    user: User,
    body_key: str,
    name: str,
    track: str,
    lead_state_id: int | None,
    mandate: str,
    member_state_ids: list[int],
) -> WorkingGroup:
    if not coordinates(user):
        raise Forbidden(N_("Only coordinators and admins manage working groups."))
    if not profile(settings).working_groups:
        raise DomainError(N_("The current governance option has no working groups."))
    body, lead = _checked_new_group(
        session,
        settings,
        body_key=body_key,
        name=name,
        track=track,
        lead_state_id=lead_state_id,
        mandate=mandate,
        member_state_ids=member_state_ids,
    )
    members = sorted({id_of(lead), *member_state_ids})
    group = WorkingGroup(
        body_id=id_of(body),
        name=name.strip(),
        track=track,
        lead_state_id=id_of(lead),
        mandate=mandate.strip(),
        created_at=clock.now(),
    )
    session.add(group)
    session.flush()
    for state_id in members:
        session.add(
            WorkingGroupEvent(
                working_group_id=id_of(group),
                state_id=state_id,
                kind="added",
                at=clock.now(),
                recorded_by=user.id,
            )
        )
    audit.record(
        session,
        actor_id=user.id,
        action="create",
        entity="working_group",
        entity_id=group.id,
        after={"name": group.name, "body": body.key, "track": track, "lead": lead.code},
    )
    session.commit()
    return group


def get_working_group(session: Session, settings: Settings, group_id: int, *, user: User | None) -> WorkingGroup:
    """A working group by id; anyone but an admin is told one under a dormant body is dormant, not shown it."""
    group = session.get(WorkingGroup, group_id)
    body = session.get(Body, group.body_id) if group else None
    if group is None or body is None:
        raise NotFound(N_("This working group does not exist."))
    if not (is_active(body, settings) or sees_dormant(user)):
        raise Dormant(
            N_(
                "The working group %(name)s is dormant under the %(option)s, the governance option in force, like "
                "its body, %(body)s. Nothing has been deleted: its members and mandate are kept and come back when "
                "the portal runs an option that has its body."
            ),
            name=group.name,
            body=_name(body),
            option=option_label(settings),
        )
    return group


def check_group_changeable(session: Session, settings: Settings, user: User, group: WorkingGroup) -> None:
    """Only coordinators and admins change a working group, and only while its body is active."""
    if not coordinates(user):
        raise Forbidden(N_("Only coordinators and admins manage working groups."))
    body = session.get(Body, group.body_id)
    assert body is not None  # a group's body is a foreign key
    check_changeable(body, settings)


def update_working_group(
    session: Session,
    settings: Settings,
    *,
    user: User,
    group: WorkingGroup,
    name: str,
    mandate: str,
    lead_state_id: int | None,
) -> None:
    check_group_changeable(session, settings, user, group)
    lead = _check_group_fields(session, name=name, mandate=mandate, lead_state_id=lead_state_id)
    before = audit.snapshot(group, ("name", "mandate", "lead_state_id"))
    group_id, lead_id = id_of(group), id_of(lead)
    group.name, group.mandate, group.lead_state_id = name.strip(), mandate.strip(), lead_id
    session.add(group)
    if lead_id not in group_members(session, [group_id]).get(group_id, set()):
        # A new lead that was not in the group joins it: the lead is always one of the members.
        session.add(
            WorkingGroupEvent(
                working_group_id=group_id,
                state_id=lead_id,
                kind="added",
                at=clock.now(),
                recorded_by=user.id,
            )
        )
    audit.record(
        session,
        actor_id=user.id,
        action="update",
        entity="working_group",
        entity_id=group.id,
        before=before,
        after=audit.snapshot(group, ("name", "mandate", "lead_state_id")),
    )
    session.commit()


def archive_working_group(
    session: Session, settings: Settings, *, user: User, group: WorkingGroup, archived: bool
) -> None:
    check_group_changeable(session, settings, user, group)
    group.archived_at = clock.now() if archived else None
    session.add(group)
    audit.record(
        session,
        actor_id=user.id,
        action="archive" if archived else "restore",
        entity="working_group",
        entity_id=group.id,
    )
    session.commit()


def check_member_change(
    session: Session, settings: Settings, *, user: User, group: WorkingGroup, state_id: int, add: bool
) -> MemberState:
    """The state to add to or remove from the group, when that change is possible; else the refusal."""
    check_group_changeable(session, settings, user, group)
    state = session.get(MemberState, state_id)
    if state is None:
        raise DomainError(N_("Choose member states from the list."))
    group_id = id_of(group)
    current = group_members(session, [group_id]).get(group_id, set())
    if add == (state_id in current):
        raise Conflict(N_("This state is already a member.") if add else N_("This state is not a member."))
    if not add and state_id == group.lead_state_id:
        raise DomainError(N_("The lead state cannot leave its working group; choose another lead first."))
    return state


def change_group_member(
    session: Session, settings: Settings, *, user: User, group: WorkingGroup, state_id: int, add: bool
) -> None:
    """Adds a state to a working group or removes it; the change is appended to the group's history."""
    state = check_member_change(session, settings, user=user, group=group, state_id=state_id, add=add)
    group_id = id_of(group)
    session.add(
        WorkingGroupEvent(
            working_group_id=group_id,
            state_id=state_id,
            kind="added" if add else "removed",
            at=clock.now(),
            recorded_by=user.id,
        )
    )
    audit.record(
        session,
        actor_id=user.id,
        action="add_member" if add else "remove_member",
        entity="working_group",
        entity_id=group.id,
        after={"state": state.code},
    )
    session.commit()


# Built once: every working group's meeting page asks it.
_GROUP_EVENTS = (
    select(WorkingGroupEvent)
    .where(col(WorkingGroupEvent.working_group_id).in_(bindparam("group_ids", expanding=True)))
    .order_by(col(WorkingGroupEvent.at), col(WorkingGroupEvent.id))
)


def group_members(session: Session, group_ids: list[int]) -> dict[int, set[int]]:
    """Current member states of each working group, in one query."""
    members: dict[int, set[int]] = defaultdict(set)
    events = session.exec(_GROUP_EVENTS, params={"group_ids": list(group_ids)}).all()
    for event in events:
        (members[event.working_group_id].add if event.kind == "added" else members[event.working_group_id].discard)(
            event.state_id
        )
    return members


def all_working_groups(
    session: Session, settings: Settings, *, body_id: int | None = None, include_archived: bool = False
) -> list[tuple[WorkingGroup, Body, bool]]:
    """Every working group with its body and whether it is active under the option (one query)."""
    query = (
        select(WorkingGroup, Body)
        .join(Body, col(Body.id) == WorkingGroup.body_id)
        .order_by(col(WorkingGroup.archived_at).is_not(None), WorkingGroup.name)
    )
    if body_id is not None:
        query = query.where(WorkingGroup.body_id == body_id)
    if not include_archived:
        query = query.where(col(WorkingGroup.archived_at).is_(None))
    return [(group, body, is_active(body, settings)) for group, body in session.exec(query).all()]


def list_working_groups(
    session: Session,
    settings: Settings,
    *,
    user: User | None,
    body_id: int | None = None,
    include_archived: bool = False,
) -> list[tuple[WorkingGroup, Body, bool]]:
    """Working groups with their body and whether they are active; dormant ones only for admins."""
    rows = all_working_groups(session, settings, body_id=body_id, include_archived=include_archived)
    return [row for row in rows if row[2] or sees_dormant(user)]


def overview(session: Session, settings: Settings) -> dict[str, object]:
    """What is active and what is dormant under the current option, for the admin page."""
    bodies = session.exec(select(Body).where(Body.kind == "network").order_by(col(Body.id))).all()
    groups = session.exec(select(WorkingGroup.body_id, func.count()).group_by(col(WorkingGroup.body_id))).all()
    members: defaultdict[int, int] = defaultdict(int)
    for standing in memberships(session).values():
        if standing.is_member:
            members[standing.body_id] += 1
    group_counts = dict(groups)
    rows = [
        {
            "body": body,
            "active": is_active(body, settings),
            "groups": group_counts.get(id_of(body), 0),
            "members": members[id_of(body)],
        }
        for body in bodies
    ]
    return {"active": [r for r in rows if r["active"]], "dormant": [r for r in rows if not r["active"]]}


def track_label(track: str) -> str:
    return TRACKS.get(track, track)
