"""Reports: targets, who is certified and ready, a state's courses and record, and the yearly tallies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import case, extract
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import Select

from app.core import clock, paging, region
from app.core.config import Settings
from app.core.db import id_of
from app.core.region import read_toml
from app.members import queries as member_queries
from app.members.models import MemberState
from app.training.models import (
    CourseType,
    Nomination,
    NominationTally,
    TrainingOffer,
)
from app.training.service.allocation import Share
from app.training.service.rules import ACTIVE
from app.training.tallies import COUNTED_OFFERS


def targets_for(settings: Settings, track: str) -> list[region.Target]:
    """The seeded targets for women's participation that apply to a track (all of them for 'any')."""
    targets = region.load(settings.seeds_dir).targets
    return [t for t in targets if track == "any" or track in t.tracks]


@lru_cache
def valid_months(seeds_dir: Path) -> int:
    path = seeds_dir / "training.toml"
    return int(read_toml(path).get("certification_valid_months", 12)) if path.exists() else 12


@dataclass
class ReadyRow:
    state: MemberState
    ready: int
    ready_women: int
    certified: int
    latest: date | None


def certified_view(session: Session, settings: Settings, *, today: date | None = None) -> list[ReadyRow]:
    """Per state, the people whose certifying assessment (SAAT) was passed within the validity period; counted by
    the database, so the page reads one row per state however many have passed over the years."""
    today = today or clock.today("UTC")
    since = today - timedelta(days=round(valid_months(settings.seeds_dir) * 30.44))
    recent = col(Nomination.outcome_on) >= since
    # SQLModel's select() is typed for at most four columns; five make the same Select, its row type declared.
    query: Select[int, int, int, int, date | None] = Select(
        col(Nomination.state_id),
        func.count(),
        func.sum(case((recent, 1), else_=0)),
        func.sum(case((recent & (col(Nomination.gender) == "woman"), 1), else_=0)),
        func.max(Nomination.outcome_on),
    )
    counted = session.exec(
        query.select_from(Nomination)
        .join(TrainingOffer)
        .join(CourseType)
        .where(col(CourseType.certifies).is_(True), Nomination.outcome == "passed")
        .group_by(col(Nomination.state_id))
    ).all()
    by_state = {state: (int(ready), int(women), int(total), latest) for state, total, ready, women, latest in counted}
    return [
        ReadyRow(state, *by_state.get(id_of(state), (0, 0, 0, None))) for state in member_queries.member_states(session)
    ]


@dataclass(frozen=True)
class StateCourse:
    """A course that has not ended and concerns a state: it provides or hosts it, or has candidates on it."""

    offer: TrainingOffer
    provides: bool
    nominated: int
    accepted: int


def upcoming_for_state(
    session: Session, *, state_id: int, size: int, today: date | None = None
) -> paging.Head[StateCourse]:
    """The first `size` published or closed courses not yet over that the state provides, hosts or nominated to,
    soonest first, and how many there are (two queries, neither reading past courses; the state's nominations are
    counted for the courses shown only)."""
    today = today or clock.today("UTC")
    upcoming = (col(TrainingOffer.status).in_(("published", "closed")), col(TrainingOffer.ends_on) >= today)
    nominated = (Nomination.state_id == state_id, col(Nomination.status).in_(ACTIVE))
    nominated_to = select(col(Nomination.offer_id)).where(*nominated)
    found = session.exec(
        select(TrainingOffer, func.count().over())
        .where(
            *upcoming,
            or_(
                col(TrainingOffer.provider_state_id) == state_id,
                col(TrainingOffer.venue_state_id) == state_id,
                col(TrainingOffer.id).in_(nominated_to),
            ),
        )
        .order_by(col(TrainingOffer.starts_on), col(TrainingOffer.id))
        .limit(size)
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if found:
        for offer_id, status, number in session.exec(
            select(Nomination.offer_id, Nomination.status, func.count())
            .where(col(Nomination.offer_id).in_([id_of(offer) for offer, _total in found]), *nominated)
            .group_by(col(Nomination.offer_id), col(Nomination.status))
        ).all():
            counts[offer_id][status] = int(number)
    rows = []
    for offer, _total in found:
        tally = counts.get(id_of(offer), {})
        rows.append(
            StateCourse(offer, offer.provider_state_id == state_id, sum(tally.values(), 0), tally.get("accepted", 0))
        )
    return paging.Head(rows, found[0][1] if found else 0)


@dataclass
class RecordRow:
    kind: CourseType
    trained: int
    women: int
    certified: int


def state_record(
    session: Session, state: MemberState
) -> tuple[list[RecordRow], list[tuple[Nomination, TrainingOffer]]]:
    """A state's trained and certified personnel per kind of course, and the people behind them."""
    rows = session.exec(
        select(Nomination, TrainingOffer)
        .join(TrainingOffer)
        .where(Nomination.state_id == state.id, col(Nomination.outcome).in_(("completed", "passed", "not_passed")))
        .order_by(col(Nomination.outcome_on).desc())
    ).all()
    kinds = {kind.id: kind for kind in session.exec(select(CourseType)).all()}
    table: dict[int, RecordRow] = {}
    for nomination, offer in rows:
        record = table.setdefault(offer.course_type_id, RecordRow(kinds[offer.course_type_id], 0, 0, 0))
        record.trained += 1
        record.women += nomination.gender == "woman"
        record.certified += nomination.outcome == "passed"
    return sorted(table.values(), key=lambda r: r.kind.key), [(n, o) for n, o in rows]


@dataclass
class YearRow:
    year: int
    offered: int
    nominated: int
    filled: int
    nominated_share: Share
    filled_share: Share


def _tallies(session: Session) -> dict[tuple[int | None, int], YearRow]:
    """Seats offered, nominated and filled per (state, year) and per (None, year) for the region, by the course's
    first day; a state's offered seats are those of the courses it provides. Two queries: the seats summed by the
    database per year and provider, and the nominations' tallies kept per year, state, status and gender
    (training.tallies), so the rows read grow with the years and states, not the courses or the nominations."""
    year = extract("year", col(TrainingOffer.starts_on))
    rows: dict[tuple[int | None, int], YearRow] = {}

    def row(state_id: int | None, year: int) -> YearRow:
        return rows.setdefault((state_id, year), YearRow(year, 0, 0, 0, Share(0, 0, 0), Share(0, 0, 0)))

    offered = session.exec(
        select(year, col(TrainingOffer.provider_state_id), func.sum(col(TrainingOffer.seats)))
        .where(col(TrainingOffer.status).in_(COUNTED_OFFERS))
        .group_by(year, col(TrainingOffer.provider_state_id))
    ).all()
    for offer_year, provider_id, seats in offered:
        row(None, int(offer_year)).offered += int(seats or 0)
        if provider_id is not None:
            row(provider_id, int(offer_year)).offered += int(seats or 0)
    # SQLModel's select() is typed for at most four columns; five make the same Select, its row type declared.
    kept: Select[int, int, str, str, int] = Select(
        col(NominationTally.year),
        col(NominationTally.state_id),
        col(NominationTally.status),
        col(NominationTally.gender),
        col(NominationTally.nominations),
    )
    tallies = session.exec(kept).all()
    for tally_year, state_id, status, gender, number in tallies:
        for target in (row(None, tally_year), row(state_id, tally_year)):
            target.nominated += number
            _tally(target.nominated_share, gender, number)
            if status == "accepted":
                target.filled += number
                _tally(target.filled_share, gender, number)
    return rows


def _tally(share: Share, gender: str, number: int) -> None:
    share.women += number if gender == "woman" else 0
    share.counted += number if gender in ("woman", "man") else 0
    share.unspecified += number if gender == "unspecified" else 0


def report(session: Session) -> tuple[list[YearRow], dict[int, list[tuple[MemberState, YearRow]]]]:
    """The region's rows per year, and each year's rows per state."""
    rows = _tallies(session)
    states = {state.id: state for state in session.exec(select(MemberState)).all()}
    region_rows = sorted((r for (state_id, _year), r in rows.items() if state_id is None), key=lambda r: r.year)
    per_year: dict[int, list[tuple[MemberState, YearRow]]] = defaultdict(list)
    for (state_id, year), data in sorted(rows.items(), key=lambda item: (item[0][1], str(item[0][0]))):
        if state_id is not None and state_id in states:
            per_year[year].append((states[state_id], data))
    for entries in per_year.values():
        entries.sort(key=lambda entry: entry[0].name_en)
    return region_rows, dict(per_year)
