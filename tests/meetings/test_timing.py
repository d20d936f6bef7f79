"""Time across the date line: local days as people live them, DST by zoneinfo, quarterly dates, finding a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from app.core.config import Settings
from app.core.errors import DomainError
from app.meetings import service, timing
from app.meetings.models import Meeting, MeetingSeries
from app.meetings.timing import Slot
from tests.meetings.conftest import LINK, Cast

SUVA_TUESDAY = datetime(2027, 7, 12, 22, 0, tzinfo=UTC)  # Tuesday, 13 July 2027, 10:00 in Suva


def said(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.message % error.value.params


def codes(places: list[timing.Place]) -> list[str]:
    return [place.code for place in places]


def ids(cast: Cast, *state_codes: str) -> list[int]:
    return [cast.states[code].id for code in state_codes]  # type: ignore[misc]


def local(slot: Slot, code: str) -> str:
    """The slot's start as lived in the state `code`, like 'Mon 13:00'."""
    place = next(place for place in slot.inside + slot.outside if place.code == code)
    return slot.local(place).strftime("%a %H:%M")


def inside_hours(place: timing.Place, slot: Slot, start: time, end: time, weekdays: set[int]) -> bool:
    """Worked out independently of the scheduler: start and end on the same working local day, within hours."""
    zone = ZoneInfo(place.zone)
    begins, ends = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    return (
        begins.weekday() in weekdays and begins.date() == ends.date() and start <= begins.time() and ends.time() <= end
    )


# Living one instant in different zones


def test_tuesday_morning_in_suva_is_monday_midday_in_rarotonga_and_tuesday_in_apia_and_kiritimati() -> None:
    assert timing.to_utc(date(2027, 7, 13), time(10, 0), "Pacific/Fiji") == SUVA_TUESDAY
    assert timing.describe(SUVA_TUESDAY, "Pacific/Fiji", "en") == "Tuesday, 13 July 2027, 10:00 UTC+12"
    assert timing.describe(SUVA_TUESDAY, "Pacific/Rarotonga", "en") == "Monday, 12 July 2027, 12:00 UTC-10"
    assert timing.describe(SUVA_TUESDAY, "Pacific/Apia", "en") == "Tuesday, 13 July 2027, 11:00 UTC+13"
    assert timing.describe(SUVA_TUESDAY, "Pacific/Kiritimati", "en") == "Tuesday, 13 July 2027, 12:00 UTC+14"


def test_short_clock_shows_the_weekday_each_zone_lives() -> None:
    assert timing.clock(SUVA_TUESDAY, "Pacific/Rarotonga") == "Mon 12 Jul 12:00 UTC-10"
    assert timing.clock(SUVA_TUESDAY, "Pacific/Kiritimati") == "Tue 13 Jul 12:00 UTC+14"


def test_a_french_reader_reads_the_weekday_and_date_in_french() -> None:
    assert timing.describe(SUVA_TUESDAY, "Pacific/Rarotonga", "fr") == "lundi 12 juillet 2027, 12:00 UTC-10"


def test_new_zealand_shows_its_daylight_saving_abbreviation() -> None:
    summer = timing.to_utc(date(2027, 2, 9), time(10, 0), "Pacific/Auckland")
    winter = timing.to_utc(date(2027, 5, 11), time(10, 0), "Pacific/Auckland")
    assert timing.describe(summer, "Pacific/Auckland", "en") == "Tuesday, 9 February 2027, 10:00 NZDT"
    assert timing.describe(winter, "Pacific/Auckland", "en") == "Tuesday, 11 May 2027, 10:00 NZST"


# Quarterly dates and series across daylight saving


def quarters(after: date, count: int) -> list[date]:
    return [timing.step_date(after, steps, every=3, unit="months") for steps in range(1, count + 1)]


def test_quarterly_dates_keep_the_same_weekday_of_the_month() -> None:
    # 13 July 2027 is the second Tuesday of July.
    assert quarters(date(2027, 7, 13), 4) == [
        date(2027, 10, 12),
        date(2028, 1, 11),
        date(2028, 4, 11),
        date(2028, 7, 11),
    ]
    assert all(day.weekday() == 1 and 8 <= day.day <= 14 for day in quarters(date(2027, 7, 13), 8))


def test_a_fifth_weekday_falls_back_to_the_last_one_in_a_shorter_month() -> None:
    # 30 March 2027 is the fifth Tuesday; September 2027 has only four, so its last one is taken.
    assert quarters(date(2027, 3, 30), 2) == [date(2027, 6, 29), date(2027, 9, 28)]


def test_step_zero_is_the_day_itself_and_weeks_are_counted_in_days() -> None:
    for anchor in (date(2027, 3, 30), date(2027, 7, 13)):
        assert timing.step_date(anchor, 0, every=3, unit="months") == anchor
    assert timing.step_date(date(2027, 12, 21), 2, every=3, unit="weeks") == date(2028, 2, 1)


def starts(session: Session, series_id: int) -> list[Meeting]:
    series = session.get(MeetingSeries, series_id)
    assert series is not None
    return service.series_meetings(session, series)


def test_a_quarterly_series_in_auckland_stays_at_ten_local_while_its_utc_instant_moves_an_hour(
    session: Session, settings: Settings, cast: Cast
) -> None:
    series = service.create_series(
        session,
        settings,
        user=cast.coordinator,
        title="SME meeting in Wellington",
        body_key="sme",
        working_group_id=None,
        host_zone="Pacific/Auckland",
        local_start="10:00",
        duration=120,
        first_day="2027-02-09",
        link=LINK,
    )
    meetings = starts(session, series.id)  # type: ignore[arg-type]
    lived = [m.starts_at.astimezone(ZoneInfo("Pacific/Auckland")) for m in meetings]
    assert [moment.strftime("%a %d %b %Y %H:%M %Z") for moment in lived] == [
        "Tue 09 Feb 2027 10:00 NZDT",
        "Tue 11 May 2027 10:00 NZST",
        "Tue 10 Aug 2027 10:00 NZST",
        "Tue 09 Nov 2027 10:00 NZDT",
    ]
    assert [m.starts_at.astimezone(UTC).strftime("%d %b %H:%M") for m in meetings] == [
        "08 Feb 21:00",
        "10 May 22:00",
        "09 Aug 22:00",
        "08 Nov 21:00",
    ]


def test_a_quarterly_series_in_santiago_follows_chiles_clock_changes(
    session: Session, settings: Settings, cast: Cast
) -> None:
    series = service.create_series(
        session,
        settings,
        user=cast.coordinator,
        title="Latin American SME meeting",
        body_key="sme",
        working_group_id=None,
        host_zone="America/Santiago",
        local_start="10:00",
        duration=90,
        first_day="2027-01-12",
        link=LINK,
    )
    meetings = starts(session, series.id)  # type: ignore[arg-type]
    assert {m.starts_at.astimezone(ZoneInfo("America/Santiago")).strftime("%a %H:%M") for m in meetings} == {
        "Tue 10:00"
    }
    assert [m.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for m in meetings] == [
        "2027-01-12 13:00",
        "2027-04-13 14:00",
        "2027-07-13 14:00",
        "2027-10-12 13:00",
    ]


# Finding a time


def five_states(cast: Cast) -> list[int]:
    return ids(cast, "FJ", "WS", "CK", "PG", "PW")


def test_the_best_slot_across_fiji_samoa_cook_islands_png_and_palau_suits_all_five(
    session: Session, settings: Settings, cast: Cast
) -> None:
    slots, carried = service.find_time(
        session,
        settings,
        state_ids=five_states(cast),
        first="2027-07-12",
        last="2027-07-25",
        zone="Pacific/Fiji",
        duration=120,
    )
    best = slots[0]
    assert codes(best.inside) == ["CK", "FJ", "PW", "PG", "WS"] and best.outside == []
    assert best.starts_at == datetime(2027, 7, 12, 23, 0, tzinfo=UTC)
    assert {code: local(best, code) for code in ("CK", "FJ", "WS", "PG", "PW")} == {
        "CK": "Mon 13:00",
        "FJ": "Tue 11:00",
        "WS": "Tue 12:00",
        "PG": "Tue 09:00",
        "PW": "Tue 08:00",
    }
    assert carried == []


def test_every_slot_says_truly_who_is_inside_working_hours(session: Session, settings: Settings, cast: Cast) -> None:
    """Checked against a plain reading of each state's clock, also for a narrow working day where not all fit."""
    for hours, best in (("08:00-18:00", 5), ("09:00-12:00", 2)):
        slots, _ = service.find_time(
            session,
            settings.model_copy(update={"working_hours": hours}),
            state_ids=five_states(cast),
            first="2027-07-12",
            last="2027-07-25",
            zone="Pacific/Fiji",
            duration=120,
        )
        start, end = (time.fromisoformat(part) for part in hours.split("-"))
        assert len(slots) == 10
        assert len(slots[0].inside) == best
        for slot in slots:
            assert slot.ends_at - slot.starts_at == timedelta(minutes=120)
            assert all(inside_hours(place, slot, start, end, {0, 1, 2, 3, 4}) for place in slot.inside)
            assert not any(inside_hours(place, slot, start, end, {0, 1, 2, 3, 4}) for place in slot.outside)
        assert [len(slot.inside) for slot in slots] == sorted((len(slot.inside) for slot in slots), reverse=True)


def test_a_public_holiday_puts_the_state_outside_working_hours_that_day(
    session: Session, settings: Settings, cast: Cast
) -> None:
    # 4 August 2027 is Constitution Day in the Cook Islands (seeds/holidays.toml); the 5th is a working day.
    holiday, _ = service.find_time(
        session,
        settings,
        state_ids=ids(cast, "CK"),
        first="2027-08-04",
        last="2027-08-04",
        zone="Pacific/Rarotonga",
        duration=60,
    )
    working, _ = service.find_time(
        session,
        settings,
        state_ids=ids(cast, "CK"),
        first="2027-08-05",
        last="2027-08-05",
        zone="Pacific/Rarotonga",
        duration=60,
    )
    assert all(slot.inside == [] for slot in holiday)
    assert codes(working[0].inside) == ["CK"] and local(working[0], "CK") == "Thu 08:00"


def test_without_the_holiday_seed_the_same_day_is_a_working_day(
    session: Session, settings: Settings, cast: Cast, tmp_path: Path
) -> None:
    bare = settings.model_copy(update={"seeds_dir": tmp_path})
    slots, _ = service.find_time(
        session,
        bare,
        state_ids=ids(cast, "CK"),
        first="2027-08-04",
        last="2027-08-04",
        zone="Pacific/Rarotonga",
        duration=60,
    )
    assert codes(slots[0].inside) == ["CK"] and local(slots[0], "CK") == "Wed 08:00"


def test_working_hours_from_the_settings_change_the_best_slot(session: Session, settings: Settings, cast: Cast) -> None:
    afternoons = settings.model_copy(update={"working_hours": "13:00-17:00"})
    default, _ = service.find_time(
        session,
        settings,
        state_ids=ids(cast, "FJ"),
        first="2027-07-13",
        last="2027-07-13",
        zone="Pacific/Fiji",
        duration=60,
    )
    changed, _ = service.find_time(
        session,
        afternoons,
        state_ids=ids(cast, "FJ"),
        first="2027-07-13",
        last="2027-07-13",
        zone="Pacific/Fiji",
        duration=60,
    )
    assert local(default[0], "FJ") == "Tue 08:00"
    assert local(changed[0], "FJ") == "Tue 13:00" and codes(changed[0].inside) == ["FJ"]
    assert all(slot.local(place).hour >= 13 for slot in changed for place in slot.inside)


def test_working_days_from_the_settings_change_which_days_count(
    session: Session, settings: Settings, cast: Cast
) -> None:
    # 17 July 2027 is a Saturday.
    weekdays, _ = service.find_time(
        session,
        settings,
        state_ids=ids(cast, "FJ"),
        first="2027-07-17",
        last="2027-07-17",
        zone="Pacific/Fiji",
        duration=60,
    )
    weekend, _ = service.find_time(
        session,
        settings.model_copy(update={"working_days": "sat,sun"}),
        state_ids=ids(cast, "FJ"),
        first="2027-07-17",
        last="2027-07-17",
        zone="Pacific/Fiji",
        duration=60,
    )
    assert all(slot.inside == [] for slot in weekdays)
    assert codes(weekend[0].inside) == ["FJ"] and local(weekend[0], "FJ") == "Sat 08:00"


def test_a_series_spares_the_states_that_carried_the_burden_last_time(
    session: Session, settings: Settings, cast: Cast
) -> None:
    """With a 09:00-12:00 day, Palau and the Cook Islands never share a two-hour slot; the series met at Palau's
    morning, so this time the Cook Islands' morning comes first and the coordinator sees who carried it."""
    narrow = settings.model_copy(update={"working_hours": "09:00-12:00"})
    series = service.create_series(
        session,
        narrow,
        user=cast.coordinator,
        title="SME meeting",
        body_key="sme",
        working_group_id=None,
        host_zone="Pacific/Palau",
        local_start="09:00",
        duration=120,
        first_day="2027-07-13",
        link=LINK,
    )
    window = {
        "state_ids": ids(cast, "CK", "PW"),
        "first": "2028-07-10",
        "last": "2028-07-21",
        "zone": "Pacific/Palau",
        "duration": 120,
    }

    plain, nobody = service.find_time(session, narrow, **window)  # type: ignore[arg-type]
    spread, carried = service.find_time(session, narrow, series_id=series.id, **window)  # type: ignore[arg-type]

    assert nobody == []
    assert codes(plain[0].inside) == ["PW"] and local(plain[0], "PW") == "Mon 09:00"
    assert codes(carried) == ["CK", "FJ", "WS"]
    assert codes(spread[0].inside) == ["CK"] and codes(spread[0].outside) == ["PW"]
    assert local(spread[0], "CK") == "Mon 09:00"
    assert len(spread[0].inside) == len(plain[0].inside)


def test_once_the_burden_has_moved_the_coordinator_sees_who_carried_it_at_the_latest_occurrence(
    session: Session, settings: Settings, cast: Cast
) -> None:
    narrow = settings.model_copy(update={"working_hours": "09:00-12:00"})
    series = service.create_series(
        session,
        narrow,
        user=cast.coordinator,
        title="SME meeting",
        body_key="sme",
        working_group_id=None,
        host_zone="Pacific/Palau",
        local_start="09:00",
        duration=120,
        first_day="2027-07-13",
        link=LINK,
    )
    latest = starts(session, series.id)[-1]  # type: ignore[arg-type]
    service.move_meeting(
        session,
        narrow,
        user=cast.coordinator,
        meeting=latest,
        day="2028-04-10",
        start="09:00",
        duration=120,
        host_zone="Pacific/Rarotonga",
    )
    _, carried = service.find_time(
        session,
        narrow,
        state_ids=ids(cast, "CK", "PW"),
        first="2028-07-10",
        last="2028-07-21",
        zone="Pacific/Palau",
        duration=120,
        series_id=series.id,
    )
    assert codes(carried) == ["FJ", "PW", "PG", "WS"]


def test_who_carried_the_burden_last_time_is_read_from_the_occurrence_before_the_window(
    session: Session, settings: Settings, cast: Cast
) -> None:
    """Finding a time for January 2028 looks back to October 2027, not to April 2028, already scheduled."""
    narrow = settings.model_copy(update={"working_hours": "09:00-12:00"})
    series = service.create_series(
        session,
        narrow,
        user=cast.coordinator,
        title="SME meeting",
        body_key="sme",
        working_group_id=None,
        host_zone="Pacific/Palau",
        local_start="09:00",
        duration=120,
        first_day="2027-07-13",
        link=LINK,
    )
    october = starts(session, series.id)[1]  # type: ignore[arg-type]
    service.move_meeting(
        session,
        narrow,
        user=cast.coordinator,
        meeting=october,
        day="2027-10-11",
        start="09:00",
        duration=120,
        host_zone="Pacific/Rarotonga",
    )
    _, carried = service.find_time(
        session,
        narrow,
        state_ids=ids(cast, "CK", "PW"),
        first="2028-01-03",
        last="2028-01-14",
        zone="Pacific/Palau",
        duration=120,
        series_id=series.id,
    )
    assert codes(carried) == ["FJ", "PW", "PG", "WS"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"state_ids": []}, "Choose at least one state."),
        ({"first": "2027-07-25", "last": "2027-07-12"}, "The window ends before it starts."),
        ({"first": "2027-07-01", "last": "2027-08-01"}, "Search a window of at most 31 days."),
        ({"first": "13/07/2027"}, "Give the date as YYYY-MM-DD."),
        ({"zone": "Pacific/Atlantis"}, "Unknown time zone: Pacific/Atlantis. Choose one from the list."),
        ({"zone": "+12:00"}, "Unknown time zone: +12:00. Choose one from the list."),
        ({"duration": "two hours"}, "The duration must be a number of minutes."),
        ({"duration": 0}, "A meeting lasts between 15 minutes and 24 hours."),
        ({"duration": -60}, "A meeting lasts between 15 minutes and 24 hours."),
        ({"duration": 25 * 60}, "A meeting lasts between 15 minutes and 24 hours."),
    ],
)
def test_finding_a_time_refuses_bad_input_with_a_clear_message(
    session: Session, settings: Settings, cast: Cast, change: dict[str, object], message: str
) -> None:
    query: dict[str, object] = {
        "state_ids": five_states(cast),
        "first": "2027-07-12",
        "last": "2027-07-25",
        "zone": "Pacific/Fiji",
        "duration": 120,
        **change,
    }
    with pytest.raises(DomainError) as error:
        service.find_time(session, settings, **query)  # type: ignore[arg-type]
    assert said(error) == message
    assert error.value.status_code == 400


def test_a_window_of_exactly_31_days_is_searched(session: Session, settings: Settings, cast: Cast) -> None:
    slots, _ = service.find_time(
        session,
        settings,
        state_ids=ids(cast, "FJ"),
        first="2027-07-01",
        last="2027-07-31",
        zone="Pacific/Fiji",
        duration=60,
    )
    assert codes(slots[0].inside) == ["FJ"]


# Why a state is outside its working hours


@pytest.mark.parametrize(
    ("code", "zone", "local_start", "minutes", "reason"),
    [
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 17, 10, 0), 60, "weekend"),  # a Saturday
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 18, 23, 30), 60, "weekend"),  # Sunday night into Monday
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 13, 7, 0), 120, "before"),
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 13, 0, 0), 60, "before"),
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 13, 17, 0), 120, "after"),
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 13, 23, 0), 120, "after"),  # runs past midnight
        ("FJ", "Pacific/Fiji", datetime(2027, 7, 13, 8, 0), 11 * 60, "after"),  # longer than the working day
        ("CK", "Pacific/Rarotonga", datetime(2027, 8, 4, 10, 0), 60, "holiday"),
    ],
)
def test_a_state_outside_its_working_hours_is_told_why(
    settings: Settings, code: str, zone: str, local_start: datetime, minutes: int, reason: str
) -> None:
    place = timing.Place(1, code, code, zone)
    begins = local_start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    ends = begins + timedelta(minutes=minutes)
    hours, days_off = timing.WorkingHours.from_settings(settings), timing.holidays(settings.seeds_dir)
    assert timing.outside_hours([place], begins, ends, hours, days_off) == [place]

    why = timing.why_outside(place, begins, hours, days_off)

    assert why.reason == reason
    if reason == "holiday":
        assert why.holiday is not None
        assert (why.holiday.name("en"), why.holiday.name("fr")) == ("Constitution Day", "Fête de la Constitution")
    else:
        assert why.holiday is None


def test_a_day_off_that_is_not_a_weekend_is_called_a_day_off(settings: Settings) -> None:
    four_days = settings.model_copy(update={"working_days": "mon,tue,wed,thu"})
    place = timing.Place(1, "FJ", "Fiji", "Pacific/Fiji")
    friday = timing.to_utc(date(2027, 7, 16), time(10), "Pacific/Fiji")
    hours = timing.WorkingHours.from_settings(four_days)

    assert timing.why_outside(place, friday, hours, {}).reason == "day_off"


def test_every_slot_says_why_each_state_left_outside_is(session: Session, settings: Settings, cast: Cast) -> None:
    slots, _ = service.find_time(
        session,
        settings,
        state_ids=five_states(cast),
        first="2027-07-17",
        last="2027-07-18",
        zone="Pacific/Fiji",
        duration=120,
    )
    assert slots and all(slot.outside for slot in slots)
    for slot in slots:
        assert sorted(slot.why) == sorted(place.state_id for place in slot.outside)
        for place in slot.outside:
            local = slot.local(place)
            expected = "weekend" if local.weekday() >= 5 else "before" if local.hour < 8 else "after"
            assert slot.why[place.state_id].reason == expected, (place.code, local)


def test_a_pickers_labels_give_each_zones_offset_at_the_minute_it_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Labels are kept for the minute they were written in: the minute New Zealand's clocks go back, the picker's
    Auckland moves from UTC+13 to UTC+12, and a minute later the summer label is not served again."""
    change = datetime(2027, 4, 3, 14, 0, tzinfo=UTC)  # 03:00 NZDT on 4 April 2027 becomes 02:00 NZST

    def auckland(at: datetime) -> str:
        monkeypatch.setattr(timing, "now_utc", lambda: at)
        groups = timing.zone_groups(["Pacific/Auckland", "Pacific/Fiji"], "en")
        return dict(groups[0].options)["Pacific/Auckland"]

    assert auckland(change - timedelta(seconds=1)).endswith("(UTC+13)")
    assert auckland(change).endswith("(UTC+12)")
    assert auckland(change + timedelta(seconds=59)).endswith("(UTC+12)")
    assert auckland(change - timedelta(seconds=1)).endswith("(UTC+13)")
