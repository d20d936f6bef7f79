"""Time across the date line: working hours per state, candidate slots ranked for a set of states, and the
dates of quarterly occurrences. Every instant is UTC; zones are IANA names resolved by zoneinfo."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from babel.core import Locale, get_global
from babel.dates import format_date, format_datetime, get_timezone_location

from app.core import formats
from app.core.clock import now as now_utc
from app.core.config import WEEKDAYS, Settings, get_settings
from app.core.errors import DomainError
from app.core.formats import zone_info
from app.core.forms import refusals
from app.core.i18n import N_
from app.core.region import SeedError, read_toml

SLOT_STEP = timedelta(minutes=30)
MAX_WINDOW_DAYS = 31
OUTSIDE_REASONS = {
    "before": N_("before hours"),
    "after": N_("after hours"),
    "weekend": N_("weekend"),
    "day_off": N_("not a working day"),
}


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    weekdays: frozenset[int]

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkingHours:
        start, end = settings.working_hours.split("-")
        return cls(
            _clock(start), _clock(end), frozenset(WEEKDAYS.index(day) for day in settings.working_days.split(","))
        )


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


def known_zone(name: str) -> bool:
    return name in _zones()


def reading_zone(name: str) -> str:
    """The zone a reader sees times in: their own when it is a known zone, else UTC."""
    return name if known_zone(name) else "UTC"


@lru_cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def to_utc(local_day: date, clock: time, zone: str) -> datetime:
    """The instant a wall-clock time on a local date happens in a zone (zoneinfo resolves DST gaps)."""
    return datetime.combine(local_day, clock, zone_info(zone)).astimezone(UTC)


@dataclass(frozen=True)
class Holiday:
    """A public holiday, named in English and, where the seeds give it, in French."""

    name_en: str
    name_fr: str = ""

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" and self.name_fr else self.name_en


@lru_cache
def holidays(seeds_dir: Path) -> dict[str, dict[date, Holiday]]:
    """Public holidays per state code, from seeds/holidays.toml when the seeds hold it."""
    path = seeds_dir / "holidays.toml"
    if not path.is_file():
        return {}
    found: dict[str, dict[date, Holiday]] = {}
    for index, entry in enumerate(read_toml(path).get("holiday", []), start=1):
        where = f"{path}: holiday {index}"
        if not isinstance(entry.get("date"), date) or not entry.get("state") or not entry.get("name_en"):
            raise SeedError(f"{where}: fields state, date (YYYY-MM-DD) and name_en are required")
        holiday = Holiday(str(entry["name_en"]), str(entry.get("name_fr", "")))
        found.setdefault(str(entry["state"]), {})[entry["date"]] = holiday
    return found


@dataclass(frozen=True)
class Place:
    """A state as the scheduler sees it: its id, code, name and the zone of its capital."""

    state_id: int
    code: str
    name: str
    zone: str


@dataclass(frozen=True)
class Outside:
    """Why a meeting is outside a state's working hours: one of OUTSIDE_REASONS, or a public holiday."""

    reason: str
    holiday: Holiday | None = None


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    inside: list[Place] = field(default_factory=list)
    outside: list[Place] = field(default_factory=list)
    burden: int = 0
    why: dict[int, Outside] = field(default_factory=dict, repr=False)

    def local(self, place: Place) -> datetime:
        return self.starts_at.astimezone(zone_info(place.zone))


def _working_intervals(
    place: Place, first: date, last: date, hours: WorkingHours, days_off: dict[date, Holiday]
) -> tuple[list[datetime], list[datetime]]:
    """The state's working hours between two local dates, as sorted UTC starts and ends."""
    starts, ends = [], []
    day = first
    while day <= last:
        if day.weekday() in hours.weekdays and day not in days_off:
            starts.append(to_utc(day, hours.start, place.zone))
            end = (
                to_utc(day + timedelta(days=1), time(0), place.zone)
                if hours.end == time.max
                else to_utc(day, hours.end, place.zone)
            )
            ends.append(end)
        day += timedelta(days=1)
    return starts, ends


def _inside(starts: list[datetime], ends: list[datetime], begin: datetime, finish: datetime) -> bool:
    index = bisect_right(starts, begin) - 1
    return index >= 0 and finish <= ends[index]


def find_slots(
    places: Sequence[Place],
    *,
    first: date,
    last: date,
    zone: str,
    duration: timedelta,
    hours: WorkingHours,
    holidays_by_code: dict[str, dict[date, Holiday]],
    burden: dict[int, int] | None = None,
    limit: int = 10,
) -> list[Slot]:
    """Slots between two dates of `zone`, best first: most states inside their working hours, then the
    fewest recent burdens carried by the states left outside, then the earliest."""
    burden = burden or {}
    window_start = to_utc(first, time(0), zone)
    window_end = to_utc(last + timedelta(days=1), time(0), zone)
    margin = timedelta(days=2)
    intervals = {
        place.state_id: _working_intervals(
            place, first - margin, last + margin, hours, holidays_by_code.get(place.code, {})
        )
        for place in places
    }
    slots = []
    begin = window_start
    while begin + duration <= window_end:
        slot = Slot(begin, begin + duration)
        for place in places:
            starts, ends = intervals[place.state_id]
            (slot.inside if _inside(starts, ends, begin, slot.ends_at) else slot.outside).append(place)
        slot.burden = sum(burden.get(place.state_id, 0) for place in slot.outside)
        slots.append(slot)
        begin += SLOT_STEP
    slots.sort(key=lambda s: (-len(s.inside), s.burden, s.starts_at))
    for slot in slots[:limit]:
        slot.why = {
            place.state_id: why_outside(place, slot.starts_at, hours, holidays_by_code) for place in slot.outside
        }
    return slots[:limit]


def outside_hours(
    places: Iterable[Place],
    starts_at: datetime,
    ends_at: datetime,
    hours: WorkingHours,
    holidays_by_code: dict[str, dict[date, Holiday]],
) -> list[Place]:
    """The states for which a meeting falls outside working hours."""
    result = []
    for place in places:
        local_day = starts_at.astimezone(zone_info(place.zone)).date()
        starts, ends = _working_intervals(
            place,
            local_day - timedelta(days=1),
            local_day + timedelta(days=1),
            hours,
            holidays_by_code.get(place.code, {}),
        )
        if not _inside(starts, ends, starts_at, ends_at):
            result.append(place)
    return result


def why_outside(
    place: Place, starts_at: datetime, hours: WorkingHours, holidays_by_code: dict[str, dict[date, Holiday]]
) -> Outside:
    """Why a meeting starting at `starts_at` is outside the state's working hours, read on the local day it starts
    (a meeting that starts inside them and is outside ends after them)."""
    local = starts_at.astimezone(zone_info(place.zone))
    holiday = holidays_by_code.get(place.code, {}).get(local.date())
    if holiday is not None:
        return Outside("holiday", holiday)
    if local.weekday() not in hours.weekdays:
        return Outside("weekend" if local.weekday() >= 5 else "day_off")
    return Outside("before" if local.time() < hours.start else "after")


def step_date(anchor: date, steps: int, *, every: int, unit: str) -> date:
    """The date `steps` intervals after `anchor`: `every` weeks apart, or `every` months apart on the same weekday
    of the month (the second Tuesday stays the second Tuesday; a fifth one falls back to the month's last)."""
    if unit == "weeks":
        return anchor + timedelta(weeks=every * steps)
    months = anchor.year * 12 + anchor.month - 1 + every * steps
    first = date(months // 12, months % 12 + 1, 1)
    day = first + timedelta(days=(anchor.weekday() - first.weekday()) % 7 + 7 * ((anchor.day - 1) // 7))
    return day if day.month == first.month else day - timedelta(days=7)


def next_quarter_day(today: date, hours: WorkingHours) -> date:
    """The first working day from the 8th of the next quarter's first month (its first days are often holidays)."""
    month = today.month + 3 - (today.month - 1) % 3
    day = date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 8)
    while day.weekday() not in hours.weekdays:
        day += timedelta(days=1)
    return day


def describe(instant: datetime, zone: str, language: str) -> str:
    """An instant as people in `zone` live it, with its weekday: 'Tuesday, 13 July 2027, 10:00 UTC+12'."""
    return formats.when(instant, zone, language)


def zone_label(local: datetime) -> str:
    """The zone's abbreviation where it has one (NZDT), else its offset (UTC+13)."""
    return formats.zone_label(local)


def clock(instant: datetime, zone: str) -> str:
    """A short local time with its weekday, for tables: 'Mon 14 Jul 14:00 UTC-10', 'lun. 14 juil. 14:00 UTC-10'."""
    return _clock_written(instant, zone, formats.babel_locale())


@lru_cache(maxsize=4096)
def _clock_written(instant: datetime, zone: str, locale: Locale) -> str:
    """clock(), kept for the process: a list of meetings writes one a row, and Babel takes some tens of
    microseconds for each."""
    local = instant.astimezone(zone_info(zone))
    text = format_datetime(local, "EEE d MMM HH:mm", tzinfo=local.tzinfo, locale=locale)
    return f"{text} {zone_label(local)}"


# Local times that do not exist or happen twice


@dataclass(frozen=True)
class LocalChoice:
    """One valid reading of a local time typed in a zone: the wall-clock date and time, which of a repeated hour it
    is (fold 0 the first, 1 the second), and the instant it stands for."""

    local: datetime
    fold: int
    instant: datetime
    zone: str

    @property
    def offset(self) -> str:
        """The zone's offset at that moment, as UTC+13."""
        return offset_label(self.instant.astimezone(zone_info(self.zone)).utcoffset() or timedelta(0))

    @property
    def value(self) -> str:
        """The form value that picks this reading: '2026-09-27T03:00/0'."""
        return f"{self.local.strftime('%Y-%m-%dT%H:%M')}/{self.fold}"


class LocalTimeError(DomainError):
    """A local time that cannot be turned into one instant without asking: `choices` are the valid readings."""

    choices: tuple[LocalChoice, ...] = ()
    ambiguous = False


def local_instant(local_day: date, clock: time, zone: str, fold: int | None = None) -> datetime:
    """The instant a wall-clock time on a local date stands for in `zone`. A time skipped when clocks go forward
    raises LocalTimeError offering the nearest valid times; a time lived twice when clocks go back raises it
    offering both readings, unless `fold` says which (0 the first, 1 the second)."""
    tz = zone_info(zone)
    naive = datetime.combine(local_day, clock.replace(tzinfo=None, fold=0))
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    before, after = first.utcoffset() or timedelta(0), second.utcoffset() or timedelta(0)
    if before == after:
        return first.astimezone(UTC)
    if after > before:
        raise _gap(naive, tz, zone, before, after)
    if fold in (0, 1):
        return (first if fold == 0 else second).astimezone(UTC)
    error = LocalTimeError(
        N_(
            "%(time)s on %(date)s happens twice in %(zone)s: the clocks go back that night. Choose the first or the "
            "second."
        ),
        time=naive.strftime("%H:%M"),
        date=formats.long_day(naive.date()),
        zone=zone,
    )
    error.choices = (
        LocalChoice(naive, 0, first.astimezone(UTC), zone),
        LocalChoice(naive, 1, second.astimezone(UTC), zone),
    )
    error.ambiguous = True
    raise error


def _gap(naive: datetime, tz: ZoneInfo, zone: str, before: timedelta, after: timedelta) -> LocalTimeError:
    """The refusal of a skipped local time, with the last half hour before the gap, the first minute after it and
    the time the clocks would show had they not moved."""
    low, high = naive - after, naive - before  # the change of offset happens between these UTC wall times
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.replace(tzinfo=UTC).astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    change = high.replace(second=0, microsecond=0)
    gap_start, gap_end = change + before, change + after
    candidates = {gap_start - SLOT_STEP, gap_end, naive + (after - before)}
    choices = tuple(
        LocalChoice(local, 0, local.replace(tzinfo=tz).astimezone(UTC), zone)
        for local in sorted(candidates)
        if local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local
    )
    error = LocalTimeError(
        N_(
            "%(time)s on %(date)s does not exist in %(zone)s: the clocks go forward from %(start)s to %(end)s that "
            "night. Choose a time that exists."
        ),
        time=naive.strftime("%H:%M"),
        date=formats.long_day(naive.date()),
        zone=zone,
        start=gap_start.strftime("%H:%M"),
        end=gap_end.strftime("%H:%M"),
    )
    error.choices = choices
    return error


def choices_of(error: Exception) -> tuple[LocalChoice, ...]:
    """The valid readings offered after a local time that does not exist or happens twice, also when it was refused
    with other fields of its form; none otherwise."""
    found = refusals(error) if isinstance(error, DomainError) else ()
    return next((each.choices for each in found if isinstance(each, LocalTimeError)), ())


def parse_pick(value: str) -> tuple[date, time, int] | None:
    """A reading picked among LocalChoice values ('2026-09-27T03:00/0'), or None when it is not one."""
    stamp, _, fold = value.strip().partition("/")
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    if fold not in ("0", "1") or not 1900 <= moment.year <= 2199:  # the years app.core.edge lets through
        return None
    return moment.date(), moment.time(), int(fold)


def offset_label(offset: timedelta) -> str:
    """An offset from UTC as people write it: UTC+12, UTC-10, UTC+5:45, UTC for none."""
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# Zones named as people know them


@lru_cache
def zone_cities(seeds_dir: Path) -> dict[str, tuple[str, str]]:
    """The cities seeds/zones.toml names for zones whose CLDR place is not the one people name: {zone: (English,
    French)}."""
    path = seeds_dir / "zones.toml"
    if not path.is_file():
        return {}
    found = {}
    for index, entry in enumerate(read_toml(path).get("zone", []), start=1):
        if not known_zone(str(entry.get("name", ""))) or not entry.get("city_en"):
            raise SeedError(f"{path}: zone {index}: a known zone name and city_en are required")
        found[str(entry["name"])] = (str(entry["city_en"]), str(entry.get("city_fr") or entry["city_en"]))
    return found


def zone_city(zone: str, language: str) -> str:
    """The place a zone is named after, in `language`: 'Honolulu'; the seeds' city where CLDR's is not it."""
    fixed = zone_cities(get_settings().seeds_dir).get(zone)
    if fixed:
        return fixed[1] if language == "fr" else fixed[0]
    if zone == "UTC":
        return "UTC"
    return _cldr_city(zone, language)


@lru_cache(maxsize=1024)
def _cldr_city(zone: str, language: str) -> str:
    """CLDR's city for a zone in `language`, looked up once per process: Babel parses the locale at every call, and
    a zone picker names every zone of the region."""
    return str(get_timezone_location(zone, locale=language, return_city=True))


def zone_country(zone: str, language: str) -> str:
    """The country or territory of a zone in `language` ('United States', 'États-Unis'), or '' for UTC."""
    territory = get_global("zone_territories").get(zone)
    return str(_locale(language).territories.get(territory, "")) if territory else ""


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    """Babel's locale for a language, parsed once per process."""
    return Locale.parse(language)


def zone_place(zone: str, language: str) -> str:
    """A zone as a place: 'Honolulu, United States', 'Honolulu, États-Unis'; 'UTC' for UTC."""
    city, country = zone_city(zone, language), zone_country(zone, language)
    return f"{city}, {country}" if country and country != city else city


def zone_offset(zone: str, at: datetime | None = None) -> str:
    """The zone's offset from UTC at an instant (now when none): 'UTC-10'."""
    moment = at or now_utc()
    return offset_label(moment.astimezone(zone_info(zone)).utcoffset() or timedelta(0))


def zone_name(zone: str, language: str, at: datetime | None = None) -> str:
    """A zone as people know it, with its current offset: 'Honolulu, United States (UTC-10)'; 'UTC' for UTC."""
    if zone == "UTC":
        return "UTC"
    return f"{zone_place(zone, language)} ({zone_offset(zone, at)})"


@dataclass(frozen=True)
class ZoneGroup:
    """Zones offered together in a picker: a heading (a msgid) and (IANA name, label) pairs."""

    heading: str
    options: tuple[tuple[str, str], ...]


def zone_groups(member_zones: Iterable[str], language: str, *, also: Iterable[str] = ()) -> tuple[ZoneGroup, ...]:
    """The zones a picker offers: the member states' zones first, by name, then the other zones (UTC and any
    zone given in `also` that no member state uses, such as a value already chosen)."""
    members = frozenset(zone for zone in member_zones if zone != "UTC" and known_zone(zone))
    others = frozenset(zone for zone in [*also, "UTC"] if zone and known_zone(zone)) - members
    # Offsets change only at whole minutes, so the labels of a minute serve every page of that minute.
    return _zone_groups(members, others, language, now_utc().replace(second=0, microsecond=0))


@lru_cache(maxsize=64)
def _zone_groups(
    members: frozenset[str], others: frozenset[str], language: str, minute: datetime
) -> tuple[ZoneGroup, ...]:
    def labelled(zones: frozenset[str]) -> tuple[tuple[str, str], ...]:
        return tuple(
            sorted(((zone, zone_name(zone, language, minute)) for zone in zones), key=lambda pair: (pair[1], pair[0]))
        )

    return ZoneGroup(N_("Member states"), labelled(members)), ZoneGroup(N_("Other zones"), labelled(others))


def place_date(instant: datetime, zone: str, language: str, place: str = "") -> str:
    """The date an instant falls on where it is lived, labelled with that place: 'Honolulu, Monday 5 April 2027'
    (the place given, such as a meeting's city, or else the place the zone is named after)."""
    local = instant.astimezone(zone_info(zone))
    shown = format_date(local.date(), "EEEE d MMMM y", locale=language)
    return f"{place or zone_city(zone, language)}, {shown}"


def same_day(instant: datetime, zone: str, other: str) -> bool:
    """Whether an instant falls on the same date in two zones."""
    return instant.astimezone(zone_info(zone)).date() == instant.astimezone(zone_info(other)).date()
