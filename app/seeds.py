"""Loads seeds/ into the database: adds what is missing, never overwrites what users edited."""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from app.governance import region
from app.governance.region import SeedError
from app.members.models import MemberState

SUBREGIONS = ("melanesia", "micronesia", "polynesia", "partner")
STATE_FIELDS = ("code", "name_en", "name_fr", "subregion", "time_zones")


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SeedError(f"{path}: {error}") from None


def read_states(seeds_dir: Path) -> list[dict[str, object]]:
    """The states of seeds/states.toml, each checked for its fields and time zones."""
    path = seeds_dir / "states.toml"
    states = _read(path).get("state", [])
    if not isinstance(states, list):
        raise SeedError(f"{path}: [[state]] entries expected")
    for number, entry in enumerate(states, start=1):
        where = f"{path} state {number}"
        for field in STATE_FIELDS:
            if not entry.get(field):
                raise SeedError(f"{where}: field {field} is missing or empty")
        if entry["subregion"] not in SUBREGIONS:
            raise SeedError(f"{where}: subregion {entry['subregion']!r} is not one of {', '.join(SUBREGIONS)}")
        for zone in entry["time_zones"]:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SeedError(f"{where}: unknown time zone {zone!r}") from None
    return states


def load(session: Session, seeds_dir: Path) -> int:
    """Adds the seeded states that are missing; returns how many were added."""
    region.load(seeds_dir)
    known = set(session.exec(select(MemberState.code)).all())
    added = 0
    for entry in read_states(seeds_dir):
        if entry["code"] in known:
            continue
        session.add(MemberState(code=str(entry["code"]), name_en=str(entry["name_en"]),
                                name_fr=str(entry["name_fr"]), subregion=str(entry["subregion"])))
        added += 1
    session.commit()
    return added
