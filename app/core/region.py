"""The region as data, read from seeds/: the network's names, the options' words and profiles, the bodies
and the targets. Checked when read, so a wrong seed file stops start-up with a message naming it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from app.core.config import GOVERNANCE_OPTIONS, LANGUAGES
from app.core.formats import zone_info

BODY_KINDS = ("regional", "network")
TRACKS = ("military", "police", "joint")
ALWAYS_RUNS = "sme-quarterly"


class SeedError(Exception):
    """A seed file is missing, unreadable or incomplete; the message names the file and the field."""


@dataclass(frozen=True)
class Localised:
    en: str
    fr: str

    def __call__(self, language: str) -> str:
        return self.fr if language == "fr" else self.en


@dataclass(frozen=True)
class OptionWords:
    key: str
    label: Localised
    summary: Localised
    members_heading: Localised


@dataclass(frozen=True)
class Profile:
    """What one governance option runs."""

    key: str
    bodies: tuple[str, ...]
    working_groups: dict[str, tuple[str, ...]]
    meeting_series: tuple[str, ...]
    chair: str
    decisions: str


@dataclass(frozen=True)
class BodySeed:
    key: str
    kind: str
    parent: str
    track: str
    acronym: str
    name: Localised


@dataclass(frozen=True)
class Target:
    key: str
    share: float
    categories: tuple[str, ...]
    label: Localised
    source: str
    tracks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    name: Localised
    short: Localised
    lead: Localised
    subregions: dict[str, Localised]
    standings: dict[str, Localised]
    sources: dict[str, Localised]
    options: dict[str, OptionWords]
    profiles: dict[str, Profile]
    bodies: dict[str, BodySeed]
    targets: tuple[Target, ...]

    def short_name(self, language: str) -> str:
        return self.short(language)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SeedError(f"{path}: {error}") from None


def _localised(data: dict[str, Any], field: str, where: str) -> Localised:
    values = []
    for language in LANGUAGES:
        value = data.get(f"{field}_{language}")
        if not isinstance(value, str) or not value.strip():
            raise SeedError(f"{where}: field {field}_{language} is missing or empty")
        values.append(value.strip())
    return Localised(*values)


def _text(data: dict[str, Any], field: str, where: str, *, required: bool = True) -> str:
    value = data.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise SeedError(f"{where}: field {field} is missing or empty")
    return value.strip()


def _bodies(seeds_dir: Path) -> dict[str, BodySeed]:
    path = seeds_dir / "bodies.toml"
    bodies: dict[str, BodySeed] = {}
    for number, entry in enumerate(read_toml(path).get("body", []), start=1):
        where = f"{path} body {number}"
        key = _text(entry, "key", where)
        kind = _text(entry, "kind", where)
        if kind not in BODY_KINDS:
            raise SeedError(f"{where}: kind {kind!r} is not one of {', '.join(BODY_KINDS)}")
        track = _text(entry, "track", where, required=kind == "network")
        if track and track not in TRACKS:
            raise SeedError(f"{where}: track {track!r} is not one of {', '.join(TRACKS)}")
        if key in bodies:
            raise SeedError(f"{where}: key {key!r} is used twice")
        bodies[key] = BodySeed(
            key,
            kind,
            _text(entry, "parent", where, required=False),
            track,
            _text(entry, "acronym", where, required=False),
            _localised(entry, "name", where),
        )
    for body in bodies.values():
        if body.parent and body.parent not in bodies:
            raise SeedError(f"{path}: body {body.key!r} has an unknown parent {body.parent!r}")
    return bodies


def _list(data: dict[str, Any], field: str, where: str, *, required: bool = True) -> list[Any]:
    value = data.get(field, None if required else [])
    if not isinstance(value, list):
        raise SeedError(f"{where}: field {field} must be a list")
    return value


def _profile(key: str, data: dict[str, Any], bodies: dict[str, BodySeed], where: str) -> Profile:
    names = _list(data, "bodies", where)
    for name in names:
        if name not in bodies or bodies[name].kind != "network":
            raise SeedError(f"{where}: {name!r} is not a network body of bodies.toml")
    groups: dict[str, tuple[str, ...]] = {}
    for entry in _list(data, "working_groups", where, required=False):
        body = entry.get("body")
        if body not in names:
            raise SeedError(f"{where}: working groups under {body!r}, which this option does not have")
        tracks = tuple(entry.get("tracks", []))
        if not tracks or any(track not in TRACKS for track in tracks):
            raise SeedError(f"{where}: working groups under {body!r} need tracks among {', '.join(TRACKS)}")
        groups[body] = tracks
    series = tuple(_list(data, "meeting_series", where, required=False))
    if ALWAYS_RUNS not in series:
        raise SeedError(f"{where}: meeting_series must include {ALWAYS_RUNS!r}, which runs under every option")
    return Profile(key, tuple(names), groups, series, _text(data, "chair", where), _text(data, "decisions", where))


def _targets(seeds_dir: Path) -> tuple[Target, ...]:
    path = seeds_dir / "targets.toml"
    if not path.exists():
        return ()
    targets = []
    for number, entry in enumerate(read_toml(path).get("target", []), start=1):
        where = f"{path} target {number}"
        share = entry.get("share")
        if not isinstance(share, float | int) or not 0 < share <= 1:
            raise SeedError(f"{where}: share must be a fraction between 0 and 1")
        targets.append(
            Target(
                _text(entry, "key", where),
                float(share),
                tuple(entry.get("categories", [])),
                _localised(entry, "label", where),
                _text(entry, "source", where, required=False),
                tuple(entry.get("tracks", [])),
            )
        )
    return tuple(targets)


def _sources(data: dict[str, Any], path: Path) -> list[Localised]:
    """The titles of the documents the seeds cite, in both languages (figures name their source in English)."""
    entries = data.get("sources", {})
    if not isinstance(entries, dict):
        raise SeedError(f"{path}: [sources] entries expected (key = {{ name_en = ..., name_fr = ... }})")
    return [_localised(entry, "name", f"{path} [sources.{key}]") for key, entry in entries.items()]


@lru_cache
def load(seeds_dir: Path) -> Region:
    """Reads and checks the region's seed files (states are read by app.seeds)."""
    path = seeds_dir / "network.toml"
    data = read_toml(path)
    network = data.get("network", {})
    options = data.get("options", {})
    profiles = data.get("profiles", {})
    bodies = _bodies(seeds_dir)
    words, checked = {}, {}
    for section, entries in (("options", options), ("profiles", profiles)):
        unknown = sorted(set(entries) - set(GOVERNANCE_OPTIONS))
        if unknown:
            raise SeedError(
                f"{path}: [{section}.{unknown[0]}] is not a governance option; "
                f"use one of: {', '.join(GOVERNANCE_OPTIONS)}"
            )
    for key in GOVERNANCE_OPTIONS:
        if key not in options:
            raise SeedError(f"{path}: [options.{key}] is missing")
        if key not in profiles:
            raise SeedError(f"{path}: [profiles.{key}] is missing")
        where = f"{path} [options.{key}]"
        words[key] = OptionWords(
            key,
            _localised(options[key], "label", where),
            _localised(options[key], "summary", where),
            _localised(options[key], "members_heading", where),
        )
        checked[key] = _profile(key, profiles[key], bodies, f"{path} [profiles.{key}]")
    groups = {}
    for table in ("subregions", "standings"):
        entries = data.get(table, {})
        if not isinstance(entries, dict) or not entries:
            raise SeedError(f"{path}: [{table}] entries expected (key = {{ name_en = ..., name_fr = ... }})")
        groups[table] = {key: _localised(entry, "name", f"{path} [{table}.{key}]") for key, entry in entries.items()}
    return Region(
        name=_localised(network, "name", f"{path} [network]"),
        short=_localised(network, "short_name", f"{path} [network]"),
        lead=_localised(network, "lead", f"{path} [network]"),
        subregions=groups["subregions"],
        standings=groups["standings"],
        sources={title.en: title for title in _sources(data, path)},
        options=words,
        profiles=checked,
        bodies=bodies,
        targets=_targets(seeds_dir),
    )


STATUSES = ("state", "territory", "associated_state")
STATE_FIELDS = ("code", "name_en", "name_fr", "subregion", "time_zones")


def _choice(entry: dict[str, Any], field: str, allowed: tuple[str, ...], where: str, default: str) -> None:
    value = entry.setdefault(field, default)
    if value not in allowed:
        raise SeedError(f"{where}: {field} {value!r} is not one of {', '.join(allowed)}")


def read_states(seeds_dir: Path) -> list[dict[str, Any]]:
    """The states of seeds/states.toml, each checked for its fields and time zones."""
    path = seeds_dir / "states.toml"
    states = read_toml(path).get("state", [])
    if not isinstance(states, list) or not states:
        raise SeedError(f"{path}: [[state]] entries expected")
    codes: set[str] = set()
    network = load(seeds_dir)
    for number, entry in enumerate(states, start=1):
        where = f"{path} state {number}"
        for field in STATE_FIELDS:
            if not entry.get(field):
                raise SeedError(f"{where}: field {field} is missing or empty")
        if entry["code"] in codes:
            raise SeedError(f"{where}: code {entry['code']!r} is used twice")
        codes.add(entry["code"])
        _choice(entry, "subregion", tuple(network.subregions), where, "")
        _choice(entry, "standing", tuple(network.standings), where, next(iter(network.standings)))
        _choice(entry, "status", STATUSES, where, "state")
        entry.setdefault("sovereign", "")
        entry.setdefault("languages", [])
        for zone in entry["time_zones"]:
            try:
                zone_info(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SeedError(f"{where}: unknown time zone {zone!r}") from None
    return states


@lru_cache
def time_zones(seeds_dir: Path) -> list[str]:
    """The time zones of the region's states, offered first wherever a zone is chosen."""
    zones = {zone for state in read_states(seeds_dir) for zone in state["time_zones"]}
    return sorted(zones | {"UTC"})
