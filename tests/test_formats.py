"""The helpers that write dates, times, numbers, amounts and sizes for people, in English and in French."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.core import formats
from app.core.i18n import in_language
from app.meetings import timing

NBSP, NNBSP = "\u00a0", "\u202f"
# 02:00 UTC on Saturday, 5 December 2026 is 15:00 the same day in Auckland (summer time) and 16:00 the day before in
# Honolulu: the date line between them.
INSTANT = datetime(2026, 12, 5, 2, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "5 Dec 2026"), ("fr", "5 déc. 2026")],
)
def test_a_date_in_a_table_is_short_and_day_first(language: str, expected: str) -> None:
    assert formats.day(date(2026, 12, 5), language) == expected
    assert formats.local_date(INSTANT, "Pacific/Fiji", language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Saturday, 5 December 2026, 15:00 NZDT"),
        ("fr", "samedi 5 décembre 2026, 15:00 NZDT"),
    ],
)
def test_a_meeting_time_is_long_with_its_weekday_and_zone(language: str, expected: str) -> None:
    assert formats.when(INSTANT, "Pacific/Auckland", language) == expected
    assert timing.describe(INSTANT, "Pacific/Auckland", language) == expected


def test_across_the_date_line_the_weekday_is_the_local_one() -> None:
    assert formats.when(INSTANT, "Pacific/Honolulu", "en") == "Friday, 4 December 2026, 16:00 HST"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Pacific/Fiji", "5 Dec 2026, 14:00 UTC+12"),
        ("Pacific/Tongatapu", "5 Dec 2026, 15:00 UTC+13"),
        ("Pacific/Pago_Pago", "4 Dec 2026, 15:00 SST"),
        ("Pacific/Marquesas", "4 Dec 2026, 16:30 UTC-9:30"),
        ("Pacific/Chatham", "5 Dec 2026, 15:45 UTC+13:45"),
        ("UTC", "5 Dec 2026, 02:00 UTC"),
    ],
)
def test_an_offset_is_never_shown_bare(zone: str, expected: str) -> None:
    assert formats.local_time(INSTANT, zone, "en") == expected


def test_a_table_clock_is_in_the_pages_language() -> None:
    with in_language("fr"):
        assert timing.clock(INSTANT, "Pacific/Fiji") == "sam. 5 déc. 14:00 UTC+12"
    with in_language("en"):
        assert timing.clock(INSTANT, "Pacific/Fiji") == "Sat 5 Dec 14:00 UTC+12"


def test_the_page_language_is_the_default() -> None:
    with in_language("fr"):
        assert formats.day(date(2026, 12, 5)) == "5 déc. 2026"
        assert formats.percent(0.15) == f"15,0{NBSP}%"
    assert formats.day(date(2026, 12, 5)) == "5 Dec 2026"


def test_a_machine_time_is_iso_without_microseconds() -> None:
    assert formats.machine_time(INSTANT) == "2026-12-05T02:00:00Z"
    assert formats.machine_time(date(2026, 12, 5)) == "2026-12-05"
    assert formats.machine_time(None) == ""
    # The date shown for a zone: 02:00 UTC on 5 December is still the 4th in Honolulu.
    assert formats.machine_time(INSTANT, "Pacific/Honolulu") == "2026-12-04"
    assert formats.machine_time(INSTANT, "Pacific/Fiji") == "2026-12-05"


@pytest.mark.parametrize(
    ("language", "number", "percent", "money", "cents"),
    [
        ("en", "1,837", "15.0%", f"FJD{NBSP}25,000", "US$1,250.50"),
        ("fr", f"1{NNBSP}837", f"15,0{NBSP}%", f"25{NNBSP}000{NBSP}$FJ", f"1{NNBSP}250,50{NBSP}$US"),
    ],
)
def test_numbers_percentages_and_amounts(language: str, number: str, percent: str, money: str, cents: str) -> None:
    assert formats.number(1837, language) == number
    assert formats.percent(0.15, language) == percent
    assert formats.money(25000, "fjd", language) == money
    assert formats.money(1250.5, "USD", language) == cents
    assert formats.percent(None, language) == formats.money(None, "FJD", language) == "—"


@pytest.mark.parametrize(
    ("size", "english", "french"),
    [
        (0, "0 bytes", f"0{NBSP}octet"),
        (1, "1 byte", f"1{NBSP}octet"),
        (50, "50 bytes", f"50{NBSP}octets"),
        (1023, "1,023 bytes", f"1{NNBSP}023{NBSP}octets"),
        (1024, "1.0 kB", f"1,0{NNBSP}ko"),
        (10 * 1024 * 1024, "10.0 MB", f"10,0{NNBSP}Mo"),
        (3 * 1024**3, "3.0 GB", f"3,0{NNBSP}Go"),
    ],
)
def test_file_sizes(size: int, english: str, french: str) -> None:
    assert formats.file_size(size, "en") == english
    assert formats.file_size(size, "fr") == french


def test_a_date_kept_as_text_is_written_for_people_and_other_text_is_kept() -> None:
    assert formats.stored_day("2026-12-05", "fr") == "5 déc. 2026"
    assert formats.stored_day("Withdrew for medical reasons", "en") == "Withdrew for medical reasons"


def test_a_label_takes_the_colon_of_its_language() -> None:
    assert formats.label("Working group", "en") == "Working group:"
    assert formats.label("Groupe de travail", "fr") == f"Groupe de travail{NBSP}:"
    assert formats.semicolon("en") == "; "
    assert formats.semicolon("fr") == f"{NBSP}; "


def test_every_zone_is_built_once_for_the_process_and_an_unknown_one_is_refused() -> None:
    zones = ["Pacific/Fiji", "Pacific/Auckland", "Pacific/Honolulu", "Pacific/Tongatapu", "Pacific/Apia"]
    zones += ["Pacific/Port_Moresby", "Pacific/Guadalcanal", "Pacific/Efate", "Pacific/Noumea", "Pacific/Tarawa"]
    first = [formats.zone_info(name) for name in zones]
    # Ten zones overflow zoneinfo's own cache of eight; the portal's accessor still hands back the same objects.
    assert [formats.zone_info(name) for name in zones] == first
    assert all(again is kept for again, kept in zip((formats.zone_info(n) for n in zones), first, strict=True))
    with pytest.raises((ValueError, KeyError)):
        formats.zone_info("Pacific/Atlantis")
