"""How dates, times, numbers, amounts and file sizes are written for people: one set of helpers, through Babel, in the
page's language (or a recipient's, inside `in_language`). French gets its typography from Babel: "15,0 %", "1 837",
"10,0 Mo", with the non-breaking (or narrow non-breaking) space CLDR gives.

Machine-readable values stay ISO: `<time datetime>` attributes (see `machine_time`), form values, CSV cells."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import NumberPattern, format_currency, format_decimal, parse_pattern
from babel.units import format_unit

from app.core.i18n import current_language

NOTHING = "—"
KILO = 1024
# The portal's English is the Pacific's: day before month ("5 Dec 2026"), codes for dollars that are not American.
BABEL_LOCALES = {"en": "en_001", "fr": "fr"}
SIZE_UNITS = ("digital-kilobyte", "digital-megabyte", "digital-gigabyte")


def babel_locale(language: str | Locale | None = None) -> Locale:
    """The Babel locale that writes for a portal language (the page's when none is given). Each is parsed once for
    the process: a page formats hundreds of values, and Babel parses a locale given by name on every call."""
    chosen = language or current_language.get()
    return chosen if isinstance(chosen, Locale) else _parsed_locale(BABEL_LOCALES.get(chosen, chosen))


@cache
def _parsed_locale(name: str) -> Locale:
    """A locale by name, kept (an unknown name raises and is not kept)."""
    return Locale.parse(name)


def label(text: str, language: str | None = None) -> str:
    """A label followed by its colon, as the language writes it: "Working group:", "Groupe de travail :" (with a
    non-breaking space, so the colon never starts a line)."""
    return f"{text}\u00a0:" if (language or current_language.get()) == "fr" else f"{text}:"


def semicolon(language: str | None = None) -> str:
    """The separator between the items of a list that hold commas: "; ", and " ; " in French (non-breaking)."""
    return "\u00a0; " if (language or current_language.get()) == "fr" else "; "


def zone_label(local: datetime) -> str:
    """A zone's abbreviation where it has one (NZDT), else its offset written out (UTC+13, UTC-9:30), never a bare
    "+13" or "-0930"."""
    name = local.tzname() or ""
    offset = local.utcoffset()
    if name[:1] not in "+-" or offset is None:
        return name
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


@cache
def zone_info(name: str) -> ZoneInfo:
    """The zone called `name`, built once for the process. zoneinfo's own cache keeps only its eight most recent
    zones strongly, and the Pacific's twenty overflow it: without this, a page re-reads zone files from disk.
    An unknown name raises ZoneInfoNotFoundError (or ValueError), and is not kept."""
    return ZoneInfo(name)


def _local(instant: datetime, zone: str) -> datetime:
    return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(zone_info(zone))


def _joined(day_text: str, time_text: str, width: Literal["full", "medium"], locale: Locale) -> str:
    """A date and a time joined the way the language joins them ("{1}, {0}"; "{1} 'à' {0}" read without quotes)."""
    pattern = str(get_datetime_format(width, locale=locale)).replace("'", "")
    return pattern.replace("{1}", day_text).replace("{0}", time_text)


def day(value: date | datetime | None, language: str | Locale | None = None) -> str:
    """A calendar date in the short form every table uses: "Dec 5, 2026", "5 déc. 2026"."""
    if value is None:
        return ""
    return _medium_day(value.date() if isinstance(value, datetime) else value, babel_locale(language))


@lru_cache(maxsize=4096)
def _medium_day(value: date, locale: Locale) -> str:
    """A date written in the short form, kept for the process: a list of fifty courses writes about 150 dates, and
    Babel takes some tens of microseconds for each."""
    return format_date(value, "medium", locale=locale)


def stored_day(text: str, language: str | Locale | None = None) -> str:
    """A date kept as ISO text (the date an outcome took effect, in a nomination's history) written for people;
    any other text as it is."""
    try:
        return day(date.fromisoformat(text), language)
    except ValueError:
        return text


def long_day(value: date | None, language: str | Locale | None = None) -> str:
    """A calendar date with its weekday: "Saturday, December 5, 2026", "samedi 5 décembre 2026"."""
    return format_date(value, "full", locale=babel_locale(language)) if value is not None else ""


def local_date(instant: datetime | None, zone: str, language: str | Locale | None = None) -> str:
    """The date an instant falls on in a time zone, in the short form."""
    return day(_local(instant, zone).date(), language) if instant is not None else ""


def hour(instant: datetime, zone: str, language: str | Locale | None = None) -> str:
    """The wall-clock time of an instant in a zone, 24-hour, with the zone: "14:00 UTC+12"."""
    local = _local(instant, zone)
    return f"{format_time(local, 'HH:mm', locale=babel_locale(language))} {zone_label(local)}"


def local_time(instant: datetime | None, zone: str, language: str | Locale | None = None) -> str:
    """An instant in a zone, short: "Dec 5, 2026, 14:00 UTC+12", "5 déc. 2026, 14:00 UTC+12"."""
    return _written(instant, zone, babel_locale(language), "medium") if instant is not None else ""


def when(instant: datetime | None, zone: str, language: str | Locale | None = None) -> str:
    """An instant as people in `zone` live it, long, with the weekday:
    "Saturday, December 5, 2026 at 14:00 UTC+12", "samedi 5 décembre 2026 à 14:00 UTC+12"."""
    return _written(instant, zone, babel_locale(language), "full") if instant is not None else ""


@lru_cache(maxsize=4096)
def _written(instant: datetime, zone: str, locale: Locale, width: Literal["full", "medium"]) -> str:
    """An instant written in a zone and language, kept for the process: a meeting page writes its start in each
    invited state's zone on every visit, and writing one takes Babel about a tenth of a millisecond."""
    local = _local(instant, zone)
    written_day = long_day(local.date(), locale) if width == "full" else day(local.date(), locale)
    return _joined(written_day, hour(instant, zone, locale), width, locale)


def machine_time(value: date | datetime | None, zone: str | None = None) -> str:
    """A `<time datetime>` attribute: ISO, to the second at most (HTML allows no six-digit fractions); with a
    zone, the date an instant falls on there (for a time element that shows a local date)."""
    if value is None:
        return ""
    if zone is not None and isinstance(value, datetime):
        return _local(value, zone).date().isoformat()
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def number(value: float | None, language: str | Locale | None = None) -> str:
    """A number with the language's separators: "1,837", "1 837"."""
    return NOTHING if value is None else format_decimal(value, locale=babel_locale(language))


def percent(ratio: float | None, language: str | Locale | None = None) -> str:
    """A ratio as a percentage to one decimal: "15.0%", "15,0 %"."""
    if ratio is None:
        return NOTHING
    locale = babel_locale(language)
    return _percent_pattern(locale).apply(ratio, locale)


@cache
def _percent_pattern(locale: Locale) -> NumberPattern:
    """The language's percentage pattern with one decimal, parsed once for the process."""
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (1, 1)
    return pattern


def money(amount: float | None, currency: str, language: str | Locale | None = None) -> str:
    """An amount in a currency, grouped, decimals only when it has some: "FJD 25,000", "25 000 $FJ"."""
    if amount is None:
        return NOTHING
    locale = babel_locale(language)
    whole = float(amount).is_integer()
    text = format_currency(
        amount,
        currency.upper(),
        locale=locale,
        currency_digits=not whole,
        format=None if not whole else _whole_currency_pattern(locale),
    )
    # CLDR spaces a letter code from its digits ("FJD 25,000"); Babel leaves that out.
    return re.sub(r"^([A-Z]{3})(?=\d)", "\\1\u00a0", text)


def _whole_currency_pattern(locale: Locale) -> str:
    pattern = locale.currency_formats["standard"].pattern
    return re.sub(r"0\.0+", "0", pattern)


def file_size(size: int | None, language: str | Locale | None = None) -> str:
    """A file's size: "50 bytes", "50 octets" below a kilobyte, then "1.0 kB", "10,0 Mo" (kilobytes of 1,024 bytes, as
    the upload limits are set)."""
    if size is None:
        return NOTHING
    locale = babel_locale(language)
    if size < KILO:
        return format_unit(size, "digital-byte", "long", locale=locale)
    value = size / KILO
    unit = SIZE_UNITS[0]
    for unit in SIZE_UNITS:
        if value < KILO or unit == SIZE_UNITS[-1]:
            break
        value /= KILO
    return format_unit(value, unit, "short", format="#,##0.0", locale=locale)
