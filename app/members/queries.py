"""What pages read of member states, their pledges and contributions, and the region's figures over time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.core import region
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.i18n import N_
from app.members.models import ContributionReport, MemberState, Pledge, RegionTotal


def member_states(session: Session) -> list[MemberState]:
    """Every member state, by English name."""
    return list(session.exec(select(MemberState).order_by(col(MemberState.name_en))).all())


def states_by_id(session: Session) -> dict[int, MemberState]:
    """Every member state, keyed by its id."""
    return {state.id: state for state in session.exec(select(MemberState)).all() if state.id is not None}


def state(session: Session, state_id: int | None) -> MemberState | None:
    """The state with this id, or None when there is none or no id."""
    return session.get(MemberState, state_id) if state_id else None


def state_by_code(session: Session, code: str) -> MemberState | None:
    """The state with this ISO code in any case, or None."""
    return session.exec(select(MemberState).where(MemberState.code == code.upper())).first()


def get_state(session: Session, code: str) -> MemberState:
    """The state a page's address names by its code; a 404 when there is none."""
    found = state_by_code(session, code.upper()[:2])
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
