"""What pages read of member states: the directory, a state's profile and focal points, its pledges and
contributions, and the region's figures over time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from babel import Locale
from sqlmodel import Session, col, select

from app.auth import service as accounts
from app.auth.models import User
from app.core import region
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import NotFound
from app.core.i18n import N_
from app.governance import service as governance
from app.governance.models import Body, MembershipEvent, WorkingGroup
from app.members.models import ContributionReport, FocalPoint, MemberState, Pledge, RegionTotal

# Built once: many pages read every state, and building the statement cost more than running it.
_MEMBER_STATES = select(MemberState).order_by(col(MemberState.name_en))


def member_states(session: Session) -> list[MemberState]:
    """Every member state, by English name."""
    return list(session.exec(_MEMBER_STATES).all())


def states_by_id(session: Session) -> dict[int, MemberState]:
    """Every member state, keyed by its id."""
    return {state.id: state for state in session.exec(select(MemberState)).all() if state.id is not None}


def state(session: Session, state_id: int | None) -> MemberState | None:
    """The state with this id, or None when there is none or no id."""
    return session.get(MemberState, state_id) if state_id else None


def state_by_code(session: Session, code: str) -> MemberState | None:
    """The state with this ISO code (any case, spaces ignored), or None when there is none or no code."""
    code = code.strip().upper()
    return session.exec(select(MemberState).where(MemberState.code == code)).first() if code else None


def get_state(session: Session, code: str) -> MemberState:
    """The state a page's address names by its code; a 404 when there is none."""
    found = state_by_code(session, code[:2])
    if found is None:
        raise NotFound(N_("No such member state."))
    return found


def pledge_of(session: Session, state: MemberState, pledge_id: int) -> Pledge | None:
    """The state's pledge with this id, or None when the state has none such."""
    pledge = session.get(Pledge, pledge_id)
    return pledge if pledge is not None and pledge.state_id == state.id else None


def latest_reports(session: Session, *, state_id: int | None = None) -> list[ContributionReport]:
    """For each state, date and category, the report recorded last (older ones are history)."""
    query = select(ContributionReport).order_by(col(ContributionReport.recorded_at), col(ContributionReport.id))
    if state_id is not None:
        query = query.where(ContributionReport.state_id == state_id)
    latest: dict[tuple[int, date, str], ContributionReport] = {}
    for report in session.exec(query).all():
        latest[(report.state_id, report.as_of, report.category)] = report
    return sorted(latest.values(), key=lambda r: (r.as_of, r.category), reverse=True)


# The region over time


@dataclass(frozen=True)
class SeriesPoint:
    as_of: date
    personnel: int
    reported_by_states: int
    source: str


@dataclass(frozen=True)
class WomenShare:
    label: str
    target: float
    women: int
    known: int

    @property
    def share(self) -> float | None:
        return self.women / self.known if self.known else None


def region_series(session: Session) -> list[SeriesPoint]:
    """Region totals as sources report them, with the sum of state reports for the same date."""
    totals = {t.as_of: t for t in session.exec(select(RegionTotal)).all()}
    by_date: dict[date, int] = defaultdict(int)
    for report in latest_reports(session):
        by_date[report.as_of] += report.total
    points = []
    for as_of in sorted(set(totals) | set(by_date)):
        total = totals.get(as_of)
        points.append(
            SeriesPoint(
                as_of,
                total.personnel if total else by_date[as_of],
                by_date.get(as_of, 0),
                total.source if total else "",
            )
        )
    return points


def women_shares(session: Session, settings: Settings, language: str) -> list[WomenShare]:
    """For each seeded target, the women among personnel whose gender is reported, in the latest reports."""
    reports = latest_reports(session)
    newest: dict[tuple[int, str], ContributionReport] = {}
    for report in sorted(reports, key=lambda r: r.as_of):
        newest[(report.state_id, report.category)] = report
    shares = []
    for target in region.load(settings.seeds_dir).targets:
        chosen = [r for r in newest.values() if r.category in target.categories]
        shares.append(
            WomenShare(
                target.label(language), target.share, sum(r.women for r in chosen), sum(r.men + r.women for r in chosen)
            )
        )
    return shares


def sovereign_name(session: Session, state: MemberState, language: str) -> str:
    """The name of the state a territory belongs to: a seeded state's, else the country's name in CLDR."""
    if not state.sovereign:
        return ""
    seeded = state_by_code(session, state.sovereign)
    if seeded is not None:
        return seeded.name(language)
    return str(Locale.parse(language).territories.get(state.sovereign, state.sovereign))


def focal_points(session: Session, *, state_id: int) -> list[tuple[User, FocalPoint | None]]:
    """A state's focal points (its active focal-point accounts), each with the details they gave, if any."""
    return [
        (person, details)
        for person, details in session.exec(
            select(User, FocalPoint)
            .outerjoin(FocalPoint, col(FocalPoint.user_id) == User.id)
            .where(accounts.acts_for(state_id))
            .order_by(col(User.display_name))
        ).all()
    ]


# Directory


@dataclass(frozen=True)
class DirectoryRow:
    state: MemberState
    bodies: list[Body]
    tracks: set[str]


def directory(
    session: Session, settings: Settings, *, user: User | None, subregion: str = "", body_key: str = "", track: str = ""
) -> list[DirectoryRow]:
    """States with the active bodies they belong to, filtered; a fixed number of queries."""
    states = member_states(session)
    bodies = {body.id: body for body, _ in governance.list_bodies(session, settings, user=None)}
    member_of: dict[int, list[Body]] = defaultdict(list)
    for (body_id, state_id), standing in governance.memberships(session).items():
        if standing.is_member and body_id in bodies:
            member_of[state_id].append(bodies[body_id])
    group_tracks: dict[int, set[str]] = defaultdict(set)
    groups = [group for group, _, _ in governance.list_working_groups(session, settings, user=None)]
    members = governance.group_members(session, [id_of(group) for group in groups])
    for group in groups:
        for state_id in members.get(id_of(group), set()):
            group_tracks[state_id].add(group.track)
    rows = []
    for state in states:
        joined = sorted(member_of.get(id_of(state), []), key=lambda body: body.id or 0)
        tracks = {body.track for body in joined} | group_tracks.get(id_of(state), set())
        if subregion and state.subregion != subregion:
            continue
        if body_key and body_key not in {body.key for body in joined}:
            continue
        if track and track not in tracks and not (track != "joint" and "joint" in tracks):
            continue
        rows.append(DirectoryRow(state, joined, tracks))
    return rows


# Profile


@dataclass(frozen=True)
class StateProfile:
    """A state's page. Memberships and working groups of bodies the option in force leaves dormant are kept apart,
    so they show as dormant rather than vanish."""

    state: MemberState
    memberships: list[governance.MembershipState]
    dormant_memberships: list[governance.MembershipState]
    bodies: dict[int, Body]
    dormant_bodies: set[int]
    history: list[tuple[MembershipEvent, Body, MemberState, str | None]]
    focal_points: list[tuple[User, FocalPoint | None]]
    contributions: list[ContributionReport]
    pledges: list[Pledge]
    working_groups: list[WorkingGroup]
    dormant_groups: list[WorkingGroup]


def state_profile(session: Session, settings: Settings, state: MemberState) -> StateProfile:
    everything = governance.all_bodies(session, settings)
    bodies = {id_of(body): body for body, _ in everything}
    dormant = {id_of(body) for body, active in everything if not active}
    standings = list(governance.memberships(session, state_id=state.id).values())
    groups = [group for group, _, _ in governance.all_working_groups(session, settings)]
    members = governance.group_members(session, [id_of(group) for group in groups])
    joined = [group for group in groups if state.id in members.get(id_of(group), set())]
    return StateProfile(
        state=state,
        memberships=[s for s in standings if s.body_id not in dormant],
        dormant_memberships=[s for s in standings if s.body_id in dormant and (s.is_member or s.pending)],
        bodies=bodies,
        dormant_bodies=dormant,
        history=governance.history(session, state_id=state.id),
        focal_points=focal_points(session, state_id=id_of(state)),
        contributions=latest_reports(session, state_id=id_of(state)),
        pledges=list(
            session.exec(
                select(Pledge)
                .where(Pledge.state_id == state.id, col(Pledge.withdrawn_at).is_(None))
                .order_by(col(Pledge.recorded_at).desc())
            ).all()
        ),
        working_groups=[group for group in joined if group.body_id not in dormant],
        dormant_groups=[group for group in joined if group.body_id in dormant],
    )
