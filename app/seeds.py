"""Loads seeds/ into the database. Idempotent: adds what is missing, refreshes what no user has edited,
never overwrites what a user changed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.core import clock, region
from app.core.db import id_of
from app.core.region import SeedError, read_states, read_toml
from app.governance.models import Body
from app.meetings import timing
from app.meetings.models import MeetingSeries
from app.members.models import CATEGORIES, ContributionReport, MemberState, RegionTotal
from app.training.models import CourseType

SEEDED_STATE_FIELDS = ("name_en", "name_fr", "subregion", "standing", "status", "sovereign", "languages", "time_zones")


def _load_states(session: Session, seeds_dir: Path) -> int:
    existing = {state.code: state for state in session.exec(select(MemberState)).all()}
    added = 0
    for entry in read_states(seeds_dir):
        state = existing.get(entry["code"])
        if state is None:
            state = MemberState(code=entry["code"], name_en="", name_fr="", subregion="")
            added += 1
        elif state.edited_at is not None:
            continue
        for field in SEEDED_STATE_FIELDS:
            setattr(state, field, entry[field])
        session.add(state)
    return added


def _load_bodies(session: Session, seeds_dir: Path) -> None:
    existing = {body.key: body for body in session.exec(select(Body)).all()}
    for seed in region.load(seeds_dir).bodies.values():
        body = existing.get(seed.key) or Body(key=seed.key, kind=seed.kind, name_en="", name_fr="")
        body.kind, body.parent_key, body.track, body.acronym = seed.kind, seed.parent, seed.track, seed.acronym
        body.name_en, body.name_fr = seed.name.en, seed.name.fr
        session.add(body)


def _load_contributions(session: Session, seeds_dir: Path) -> None:
    path = seeds_dir / "contributions.toml"
    if not path.exists():
        return
    data = read_toml(path)
    known_totals = set(session.exec(select(col(RegionTotal.as_of))).all())
    for number, entry in enumerate(data.get("region_total", []), start=1):
        if not isinstance(entry.get("as_of"), date) or not isinstance(entry.get("personnel"), int):
            raise SeedError(f"{path} region_total {number}: as_of (a date) and personnel (a number) are needed")
        if entry["as_of"] not in known_totals:
            session.add(RegionTotal(as_of=entry["as_of"], personnel=entry["personnel"], source=entry.get("source", "")))
    states = {state.code: id_of(state) for state in session.exec(select(MemberState)).all()}
    reports = {(r.state_id, r.as_of, r.category, r.source) for r in session.exec(select(ContributionReport)).all()}
    for number, entry in enumerate(data.get("report", []), start=1):
        where = f"{path} report {number}"
        if entry.get("state") not in states:
            raise SeedError(f"{where}: unknown state {entry.get('state')!r}")
        if entry.get("category") not in CATEGORIES:
            raise SeedError(f"{where}: category {entry.get('category')!r} is not one of {', '.join(CATEGORIES)}")
        if not isinstance(entry.get("as_of"), date):
            raise SeedError(f"{where}: as_of must be a date")
        key = (states[entry["state"]], entry["as_of"], entry["category"], entry.get("source", ""))
        if key not in reports:
            session.add(
                ContributionReport(
                    state_id=key[0],
                    as_of=key[1],
                    category=key[2],
                    source=key[3],
                    recorded_at=clock.now(),
                    men=entry.get("men", 0),
                    women=entry.get("women", 0),
                    unspecified=entry.get("unspecified", 0),
                )
            )


SERIES_FIELDS = ("key", "body", "title_en", "title_fr", "host_zone", "local_start", "duration_minutes")


def read_series(seeds_dir: Path) -> list[dict[str, Any]]:
    """The meeting series of seeds/meetings.toml; every series a profile runs must be there."""
    path = seeds_dir / "meetings.toml"
    entries = read_toml(path).get("series", []) if path.exists() else []
    network = region.load(seeds_dir)
    for number, entry in enumerate(entries, start=1):
        where = f"{path} series {number}"
        for field in SERIES_FIELDS:
            if entry.get(field) in (None, ""):
                raise SeedError(f"{where}: field {field} is missing or empty")
        if entry["body"] not in network.bodies:
            raise SeedError(f"{where}: unknown body {entry['body']!r}")
        if not timing.known_zone(entry["host_zone"]):
            raise SeedError(f"{where}: unknown time zone {entry['host_zone']!r}")
        entry.setdefault("cadence", "quarterly")
    defined = {entry["key"] for entry in entries}
    for key, profile in network.profiles.items():
        missing = set(profile.meeting_series) - defined
        if path.exists() and missing:
            raise SeedError(f"{path}: the {key} option runs {', '.join(sorted(missing))}, which is not defined here")
    return entries


def _load_series(session: Session, seeds_dir: Path) -> None:
    existing = set(session.exec(select(MeetingSeries.key)).all())
    bodies = {body.key: body.id for body in session.exec(select(Body)).all()}
    for entry in read_series(seeds_dir):
        if entry["key"] not in existing:
            session.add(
                MeetingSeries(
                    key=entry["key"],
                    title_en=entry["title_en"],
                    title_fr=entry["title_fr"],
                    cadence=entry["cadence"],
                    body_id=bodies[entry["body"]],
                    host_zone=entry["host_zone"],
                    local_start=entry["local_start"],
                    duration_minutes=entry["duration_minutes"],
                    created_at=clock.now(),
                )
            )


def read_course_types(seeds_dir: Path) -> list[dict[str, Any]]:
    """The kinds of course of seeds/training.toml (none when the file is absent)."""
    path = seeds_dir / "training.toml"
    data = read_toml(path) if path.exists() else {}
    entries = data.get("course_type", [])
    keys: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"{path} course_type {number}"
        for field in ("key", "name_en", "name_fr"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                raise SeedError(f"{where}: field {field} is missing or empty")
        if entry["key"] in keys:
            raise SeedError(f"{where}: key {entry['key']!r} is used twice")
        keys.add(entry["key"])
        entry["certifies"] = bool(entry.get("certifies", False))
    months = data.get("certification_valid_months", 12)
    if not isinstance(months, int) or not 1 <= months <= 120:
        raise SeedError(f"{path}: certification_valid_months must be a whole number of months from 1 to 120")
    return entries


def _load_course_types(session: Session, seeds_dir: Path) -> None:
    """Adds the seeded kinds of course and keeps their names as the seeds give them (users do not edit them)."""
    existing = {kind.key: kind for kind in session.exec(select(CourseType)).all()}
    for entry in read_course_types(seeds_dir):
        kind = existing.get(entry["key"]) or CourseType(key=entry["key"], name_en="", name_fr="")
        kind.name_en, kind.name_fr, kind.certifies = entry["name_en"], entry["name_fr"], entry["certifies"]
        session.add(kind)


def check(seeds_dir: Path) -> None:
    """Reads every seed file and raises SeedError on the first problem; loads nothing."""
    region.load(seeds_dir)
    read_states(seeds_dir)
    read_series(seeds_dir)
    timing.holidays(seeds_dir)
    read_course_types(seeds_dir)


def load(session: Session, seeds_dir: Path) -> int:
    """Loads every seed file in one transaction; returns how many states were added. A wrong file loads
    nothing: what was already read is rolled back."""
    try:
        check(seeds_dir)
        added = _load_states(session, seeds_dir)
        _load_bodies(session, seeds_dir)
        session.flush()
        _load_contributions(session, seeds_dir)
        _load_series(session, seeds_dir)
        _load_course_types(session, seeds_dir)
    except SeedError:
        session.rollback()
        raise
    session.commit()
    return added
