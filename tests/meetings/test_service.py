"""The meetings service: series and occurrences, refused meetings, invitations and answers, agendas, minutes,
action items, attendance, and who may see and run a meeting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.config import Settings
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.governance import service as governance
from app.meetings import service, text
from app.meetings.models import (
    ActionItem,
    ActionItemEvent,
    AgendaItem,
    Invitation,
    Meeting,
    MeetingInvitee,
    MeetingSeries,
    MinutesVersion,
)
from app.pages.dashboard import dashboard
from tests.factories import make_user
from tests.meetings.conftest import (
    LINK,
    MEMBERS,
    Cast,
    MeetingFactory,
    count,
    focal_point,
    form,
    group_meetings,
    outbox_for,
    working_group,
)


def said(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.message % error.value.params


def local_days(meetings: list[Meeting], zone: str = "Pacific/Fiji") -> list[str]:
    return [m.starts_at.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M") for m in meetings]


def invited_states(session: Session, meeting: Meeting) -> set[int]:
    return set(session.exec(select(MeetingInvitee.state_id).where(MeetingInvitee.meeting_id == meeting.id)).all())


def invited_people(session: Session, meeting: Meeting) -> set[int]:
    return set(session.exec(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id)).all())


def member_ids(cast: Cast) -> set[int]:
    return {cast.states[code].id for code in MEMBERS}  # type: ignore[misc]


def quarterly(session: Session, settings: Settings, cast: Cast, **overrides: Any) -> MeetingSeries:
    fields: dict[str, Any] = {
        "title": "Quarterly SME meeting",
        "body_key": "sme",
        "working_group_id": None,
        "host_zone": "Pacific/Fiji",
        "local_start": "10:00",
        "duration": 120,
        "first_day": "2027-07-13",
        "link": LINK,
    }
    fields.update(overrides)
    return service.create_series(session, settings, user=cast.coordinator, **fields)


def snapshot(meeting: Meeting) -> tuple[object, ...]:
    return (meeting.starts_at, meeting.ends_at, meeting.host_zone, meeting.status, meeting.ics_sequence)


# Series and occurrences


def test_a_quarterly_series_makes_four_meetings_on_the_same_weekday_of_the_month(
    session: Session, settings: Settings, cast: Cast
) -> None:
    series = quarterly(session, settings, cast)
    meetings = service.series_meetings(session, series)
    assert local_days(meetings) == [
        "Tue 2027-07-13 10:00",
        "Tue 2027-10-12 10:00",
        "Tue 2028-01-11 10:00",
        "Tue 2028-04-11 10:00",
    ]
    assert len({m.uid for m in meetings}) == 4
    assert all(m.series_id == series.id and m.body_id == series.body_id and m.format == "virtual" for m in meetings)
    assert all(invited_states(session, m) == member_ids(cast) for m in meetings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"link": "http://meet.example.org/sme"}, "A virtual meeting needs its https:// link."),
        ({"first_day": "2027-02-30"}, "Give the date as YYYY-MM-DD."),
        ({"first_day": ""}, "Give the date of the first meeting."),
        ({"host_zone": "Pacific/Atlantis"}, "Unknown time zone: Pacific/Atlantis. Choose one from the list."),
        ({"local_start": "25:00"}, "Give the time as HH:MM."),
        ({"duration": 0}, "A meeting lasts between 15 minutes and 24 hours."),
        ({"title": "  "}, "Give the meeting a title."),
        ({"cadence": "weekly"}, "Choose quarterly or custom."),
        ({"format": "in_person", "venue": "", "city": "Suva"}, "A meeting in person needs a venue and a city."),
    ],
)
def test_a_series_with_a_bad_field_creates_nothing(
    session: Session, settings: Settings, cast: Cast, change: dict[str, Any], message: str
) -> None:
    before = (count(session, MeetingSeries), count(session, Meeting), count(session, MeetingInvitee))
    with pytest.raises(DomainError) as error:
        quarterly(session, settings, cast, **change)
    session.rollback()  # what the end of the request does with an unfinished transaction
    assert said(error) == message
    assert (count(session, MeetingSeries), count(session, Meeting), count(session, MeetingInvitee)) == before


def test_next_occurrences_adds_the_next_four_after_the_latest(session: Session, settings: Settings, cast: Cast) -> None:
    series = quarterly(session, settings, cast)
    added = service.next_occurrences(session, settings, user=cast.coordinator, series=series, link=LINK)
    assert local_days(added) == [
        "Tue 2028-07-11 10:00",
        "Tue 2028-10-10 10:00",
        "Tue 2029-01-09 10:00",
        "Tue 2029-04-10 10:00",
    ]
    assert len(service.series_meetings(session, series)) == 8


def test_next_occurrences_keep_the_series_rhythm_after_one_occurrence_was_moved(
    session: Session, settings: Settings, cast: Cast
) -> None:
    """Moving April's meeting to a Thursday is a one-off: later quarters stay on the second Tuesday."""
    series = quarterly(session, settings, cast)
    april = service.series_meetings(session, series)[-1]
    service.move_meeting(
        session,
        settings,
        user=cast.coordinator,
        meeting=april,
        day="2028-04-13",
        start="10:00",
        duration=120,
        host_zone="Pacific/Fiji",
    )
    added = service.next_occurrences(session, settings, user=cast.coordinator, series=series, link=LINK)
    assert local_days(added) == [
        "Tue 2028-07-11 10:00",
        "Tue 2028-10-10 10:00",
        "Tue 2029-01-09 10:00",
        "Tue 2029-04-10 10:00",
    ]


def test_a_custom_series_adds_one_meeting_on_the_day_given(session: Session, settings: Settings, cast: Cast) -> None:
    series = quarterly(session, settings, cast, cadence="custom", title="SME working session")
    assert local_days(service.series_meetings(session, series)) == ["Tue 2027-07-13 10:00"]
    with pytest.raises(DomainError) as error:
        service.next_occurrences(session, settings, user=cast.coordinator, series=series, link=LINK)
    assert said(error) == "Give the date of the meeting."
    added = service.next_occurrences(
        session, settings, user=cast.coordinator, series=series, link=LINK, first_day="2027-09-02"
    )
    assert local_days(added) == ["Thu 2027-09-02 10:00"]


def test_a_meeting_can_join_a_series_and_invite_the_states_chosen_for_it(
    session: Session, settings: Settings, cast: Cast
) -> None:
    series = quarterly(session, settings, cast)
    chosen = (cast.states["TO"].id, cast.states["FJ"].id)

    meeting = service.create_meeting(
        session, settings, user=cast.coordinator, form=form(day="2027-08-17", series_id=series.id, state_ids=chosen)
    )

    assert meeting.series_id == series.id and meeting.body_id == series.body_id
    assert invited_states(session, meeting) == set(chosen)
    assert len(service.series_meetings(session, series)) == 5


def test_a_meeting_of_a_series_meets_for_the_series_owner_and_invites_known_states(
    session: Session, settings: Settings, cast: Cast
) -> None:
    adhoc = settings.model_copy(update={"governance_option": "adhoc"})  # the SME body and the ad hoc network
    series = quarterly(session, adhoc, cast)
    before = count(session, Meeting)
    for change, message in (
        ({"body_key": "adhoc-network"}, "This series meets for another body or working group."),
        ({"state_ids": (cast.states["FJ"].id, 999_999)}, "Choose states from the list."),
        ({"series_id": 999_999}, "Choose the series from the list."),
    ):
        with pytest.raises(DomainError) as error:
            service.create_meeting(
                session, adhoc, user=cast.coordinator, form=form(**({"series_id": series.id} | change))
            )
        session.rollback()
        assert said(error) == message
    assert count(session, Meeting) == before


# The next meetings of a series: the day proposed, and what is scheduled from it


def seeded_series(session: Session) -> MeetingSeries:
    return session.exec(select(MeetingSeries).where(MeetingSeries.key == "sme-quarterly")).one()


def second_week_of_next_quarter(today: date) -> date:
    """Worked out here: the first Monday to Friday from the 8th of the first month of the quarter after `today`."""
    month = today.month + 3 - (today.month - 1) % 3
    day = date(today.year + (month > 12), (month - 1) % 12 + 1, 8)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize(
    ("now", "proposed"),
    [
        (datetime(2026, 12, 5, 1, 30, tzinfo=UTC), date(2027, 1, 8)),
        (datetime(2026, 12, 5, 13, 30, tzinfo=UTC), date(2027, 1, 8)),
        # Still March in UTC, but already 1 April in Suva, where the series is hosted: the next quarter is July's.
        (datetime(2027, 3, 31, 13, 0, tzinfo=UTC), date(2027, 7, 8)),
        (datetime(2027, 9, 20, 0, 0, tzinfo=UTC), date(2027, 10, 8)),
    ],
)
def test_a_series_that_never_met_proposes_the_second_week_of_the_next_quarter_at_the_host(
    session: Session, settings: Settings, now: datetime, proposed: date
) -> None:
    assert second_week_of_next_quarter(now.astimezone(ZoneInfo("Pacific/Fiji")).date()) == proposed
    assert service.next_day(session, settings, seeded_series(session), now=now) == proposed


def test_the_seeded_quarterly_series_schedules_its_next_four_from_the_day_proposed(
    session: Session, settings: Settings, cast: Cast
) -> None:
    series = seeded_series(session)
    proposed = service.next_day(session, settings, series)
    assert proposed == second_week_of_next_quarter(datetime.now(ZoneInfo("Pacific/Fiji")).date())

    added = service.next_occurrences(session, settings, user=cast.coordinator, series=series, link=LINK)

    months = [m.starts_at.astimezone(ZoneInfo("Pacific/Fiji")) for m in added]
    assert months[0].date() == proposed
    assert [(b.year - a.year) * 12 + b.month - a.month for a, b in zip(months, months[1:], strict=False)] == [3, 3, 3]
    assert {(moment.weekday(), (moment.day - 1) // 7, moment.strftime("%H:%M")) for moment in months} == {
        (proposed.weekday(), (proposed.day - 1) // 7, "10:00")
    }
    assert all(invited_states(session, m) == member_ids(cast) for m in added)


def test_a_series_that_has_met_proposes_the_next_day_of_its_rhythm_not_before_today(
    session: Session, settings: Settings, cast: Cast
) -> None:
    """Its meetings are on the second Tuesday, July 2027 to April 2028; April's was moved to the 4th."""
    series = quarterly(session, settings, cast)
    april = service.series_meetings(session, series)[-1]
    service.move_meeting(
        session,
        settings,
        user=cast.coordinator,
        meeting=april,
        day="2028-04-04",
        start="10:00",
        duration=120,
        host_zone="Pacific/Fiji",
    )
    proposed = {
        now: service.next_day(session, settings, series, now=datetime.fromisoformat(now))
        for now in ("2026-12-05T01:30:00+00:00", "2026-12-05T13:30:00+00:00", "2029-01-08T12:00:00+00:00")
    }
    assert proposed == {
        "2026-12-05T01:30:00+00:00": date(2028, 7, 11),
        "2026-12-05T13:30:00+00:00": date(2028, 7, 11),
        # 9 January 2029 in Suva: the meetings of July and October 2028 were never scheduled.
        "2029-01-08T12:00:00+00:00": date(2029, 1, 9),
    }


def test_an_extra_meeting_of_a_series_does_not_shift_its_rhythm(
    session: Session, settings: Settings, cast: Cast
) -> None:
    """A meeting scheduled from a found slot joins the series in May 2028, after April's: July is still proposed."""
    series = quarterly(session, settings, cast)
    service.create_meeting(session, settings, user=cast.coordinator, form=form(day="2028-05-16", series_id=series.id))
    now = datetime(2026, 12, 5, 13, 30, tzinfo=UTC)
    assert service.next_day(session, settings, series, now=now) == date(2028, 7, 11)


def test_the_next_four_start_on_the_day_the_coordinator_gives(session: Session, settings: Settings, cast: Cast) -> None:
    series = quarterly(session, settings, cast)
    added = service.next_occurrences(
        session, settings, user=cast.coordinator, series=series, link=LINK, first_day="2028-08-03"
    )
    assert local_days(added) == [
        "Thu 2028-08-03 10:00",
        "Thu 2028-11-02 10:00",
        "Thu 2029-02-01 10:00",
        "Thu 2029-05-03 10:00",
    ]


@pytest.mark.parametrize(
    ("every", "unit", "following"),
    [
        (2, "weeks", "Tue 2027-07-27 10:00"),
        (1, "months", "Tue 2027-08-10 10:00"),
        (6, "months", "Tue 2028-01-11 10:00"),
    ],
)
def test_a_custom_series_with_an_interval_proposes_and_schedules_its_next_meeting(
    session: Session, settings: Settings, cast: Cast, every: int, unit: str, following: str
) -> None:
    series = quarterly(
        session, settings, cast, cadence="custom", title="SME working session", repeat_every=every, repeat_unit=unit
    )
    assert (series.repeat_every, series.repeat_unit) == (every, unit)
    assert local_days(service.series_meetings(session, series)) == ["Tue 2027-07-13 10:00"]
    now = datetime(2026, 12, 5, 13, 30, tzinfo=UTC)
    assert service.next_day(session, settings, series, now=now) == date.fromisoformat(following.split()[1])

    added = service.next_occurrences(session, settings, user=cast.coordinator, series=series, link=LINK)

    assert local_days(added) == [following]


@pytest.mark.parametrize(
    ("every", "unit"), [("0", "weeks"), ("53", "weeks"), ("13", "months"), ("2", "days"), ("two", "weeks")]
)
def test_a_custom_series_with_a_bad_interval_is_refused(
    session: Session, settings: Settings, cast: Cast, every: str, unit: str
) -> None:
    before = count(session, MeetingSeries)
    with pytest.raises(DomainError) as error:
        quarterly(session, settings, cast, cadence="custom", repeat_every=every, repeat_unit=unit)
    session.rollback()
    assert said(error) == "Give how far apart the meetings are: every 1 to 52 weeks, or every 1 to 12 months."
    assert count(session, MeetingSeries) == before


def test_a_quarterly_series_keeps_no_interval_of_its_own(session: Session, settings: Settings, cast: Cast) -> None:
    series = quarterly(session, settings, cast, repeat_every="2", repeat_unit="weeks")
    assert (series.repeat_every, series.repeat_unit) == (None, None)


def test_moving_one_occurrence_leaves_the_others_untouched(session: Session, settings: Settings, cast: Cast) -> None:
    meetings = service.series_meetings(session, quarterly(session, settings, cast))
    for meeting in meetings:
        service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])
    others = {m.id: snapshot(m) for m in meetings if m is not meetings[1]}
    sent_before = len(outbox_for(session, cast.focal["FJ"]))

    service.move_meeting(
        session,
        settings,
        user=cast.coordinator,
        meeting=meetings[1],
        day="2027-10-14",
        start="14:00",
        duration=120,
        host_zone="Pacific/Fiji",
    )

    session.expire_all()
    reread = service.series_meetings(session, session.get(MeetingSeries, meetings[0].series_id))  # type: ignore[arg-type]
    assert {m.id: snapshot(m) for m in reread if m.id != meetings[1].id} == others
    assert local_days(reread)[1] == "Thu 2027-10-14 14:00"
    news = outbox_for(session, cast.focal["FJ"])[sent_before:]
    assert [str(Calendar.from_ical(m.calendar).walk("VEVENT")[0]["uid"]) for m in news] == [meetings[1].uid]


def test_cancelling_one_occurrence_leaves_the_others_scheduled(
    session: Session, settings: Settings, cast: Cast
) -> None:
    meetings = service.series_meetings(session, quarterly(session, settings, cast))
    others = {m.id: snapshot(m) for m in meetings if m is not meetings[2]}
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meetings[2])
    session.expire_all()
    reread = service.series_meetings(session, session.get(MeetingSeries, meetings[0].series_id))  # type: ignore[arg-type]
    assert [m.status for m in reread] == ["scheduled", "scheduled", "cancelled", "scheduled"]
    assert {m.id: snapshot(m) for m in reread if m.id != meetings[2].id} == others


def test_only_coordinators_create_series_and_meetings(session: Session, settings: Settings, cast: Cast) -> None:
    before = count(session, Meeting)
    with pytest.raises(Forbidden):
        service.create_series(
            session,
            settings,
            user=cast.focal["FJ"],
            title="Our own series",
            body_key="sme",
            working_group_id=None,
            host_zone="Pacific/Fiji",
            local_start="10:00",
            duration=60,
            first_day="2027-07-13",
            link=LINK,
        )
    with pytest.raises(Forbidden):
        service.create_meeting(session, settings, user=cast.observer, form=form())
    session.rollback()
    assert count(session, Meeting) == before


def test_a_working_group_meets_until_it_is_archived(session: Session, settings: Settings, cast: Cast) -> None:
    adhoc, group = working_group(session, settings, cast)
    for_group = form(body_key="", working_group_id=group.id)
    meeting = service.create_meeting(session, adhoc, user=cast.coordinator, form=for_group)
    assert (meeting.body_id, meeting.working_group_id) == (None, group.id)
    governance.archive_working_group(session, adhoc, user=cast.coordinator, group=group, archived=True)
    before = count(session, Meeting)
    with pytest.raises(DomainError) as error:
        service.create_meeting(session, adhoc, user=cast.coordinator, form=for_group)
    session.rollback()
    assert said(error) == "This working group does not meet under the current option."
    assert count(session, Meeting) == before


# Meetings refused

# A hybrid meeting is told what a hybrid meeting lacks, never that it is in person or virtual.
HYBRID_NEEDS = "A hybrid meeting needs a venue, a city and its https:// link."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration": -30}, "A meeting lasts between 15 minutes and 24 hours."),
        ({"duration": 0}, "A meeting lasts between 15 minutes and 24 hours."),
        ({"duration": "1 hour"}, "The duration must be a number of minutes."),
        ({"duration": 24 * 60 + 1}, "A meeting lasts between 15 minutes and 24 hours."),
        ({"host_zone": "Pacific/Nowhere"}, "Unknown time zone: Pacific/Nowhere. Choose one from the list."),
        ({"host_zone": "UTC+12"}, "Unknown time zone: UTC+12. Choose one from the list."),
        ({"link": "http://meet.example.org/sme"}, "A virtual meeting needs its https:// link."),
        ({"link": "javascript:alert(1)"}, "A virtual meeting needs its https:// link."),
        ({"link": ""}, "A virtual meeting needs its https:// link."),
        ({"format": "in_person", "venue": "", "city": "Suva"}, "A meeting in person needs a venue and a city."),
        (
            {"format": "in_person", "venue": "Grand Pacific Hotel", "city": ""},
            "A meeting in person needs a venue and a city.",
        ),
        ({"format": "hybrid", "venue": "", "city": ""}, HYBRID_NEEDS),
        ({"format": "hybrid", "venue": "Grand Pacific Hotel", "city": "Suva", "link": ""}, HYBRID_NEEDS),
        ({"format": "hybrid", "venue": "", "city": "", "link": ""}, HYBRID_NEEDS),
        ({"format": "carrier_pigeon"}, "Choose in person, virtual or hybrid."),
        ({"day": "2027-02-30"}, "Give the date as YYYY-MM-DD."),
        ({"start": "10h"}, "Give the time as HH:MM."),
        ({"title": ""}, "Give the meeting a title."),
        ({"title": "x" * 201}, "The title may have at most 200 characters."),
        ({"body_key": ""}, "Choose the body or working group that meets."),
        ({"host_state_code": "XX"}, "Choose the host state from the list."),
    ],
)
def test_a_meeting_with_bad_time_place_or_link_is_refused_and_nothing_is_stored(
    session: Session, settings: Settings, cast: Cast, change: dict[str, Any], message: str
) -> None:
    before = (count(session, Meeting), count(session, MeetingInvitee))
    with pytest.raises(DomainError) as error:
        service.create_meeting(session, settings, user=cast.coordinator, form=form(**change))
    session.rollback()
    assert said(error) == message and error.value.status_code == 400
    assert (count(session, Meeting), count(session, MeetingInvitee)) == before


def test_a_meeting_in_person_keeps_its_venue_and_drops_any_link(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting(format="in_person", venue="Grand Pacific Hotel", city="Suva", host_state_code="FJ")
    assert (meeting.venue, meeting.city, meeting.link) == ("Grand Pacific Hotel", "Suva", "")
    assert meeting.host_state_id == cast.states["FJ"].id


def test_moving_a_meeting_to_an_impossible_time_leaves_it_where_it_was(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])
    before, sent = snapshot(meeting), len(outbox_for(session, cast.focal["FJ"]))
    for change in ({"duration": -60}, {"host_zone": "Pacific/Nowhere"}, {"day": "next Tuesday"}):
        fields: dict[str, Any] = {
            "day": "2027-07-20",
            "start": "10:00",
            "duration": 120,
            "host_zone": "Pacific/Fiji",
            **change,
        }
        with pytest.raises(DomainError):
            service.move_meeting(session, settings, user=cast.coordinator, meeting=meeting, **fields)
        session.rollback()
        assert snapshot(session.get(Meeting, meeting.id)) == before  # type: ignore[arg-type]
    assert len(outbox_for(session, cast.focal["FJ"])) == sent


# Invitations and answers


def test_invite_reaches_the_focal_points_of_chosen_states_and_chosen_observers_with_one_email_each(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    queued = service.invite(
        session,
        settings,
        user=cast.coordinator,
        meeting=meeting,
        state_ids=[cast.states["TO"].id],
        observer_ids=[cast.observer.id],
    )  # type: ignore[list-item]
    invited = [cast.focal[code] for code in (*MEMBERS, "TO")] + [cast.observer]
    assert queued == 7
    assert invited_people(session, meeting) == {person.id for person in invited}
    assert sorted(
        m.recipient for m in outbox_for(session, *cast.focal.values(), cast.observer, cast.other_observer)
    ) == sorted(p.email for p in invited)
    rows = {i.user_id: i for i in session.exec(select(Invitation).where(Invitation.meeting_id == meeting.id))}
    assert rows[cast.focal["TO"].id].state_id == cast.states["TO"].id  # type: ignore[index]
    assert rows[cast.observer.id].state_id is None  # type: ignore[index]


def test_inviting_again_emails_only_those_without_the_current_version(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])
    assert service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[]) == 0

    second_fiji = focal_point(session, "FJ", display_name="Second Fiji Focal")
    assert (
        service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[cast.states["VU"].id]) == 2
    )  # type: ignore[list-item]
    assert len(outbox_for(session, second_fiji)) == 1 and len(outbox_for(session, cast.focal["VU"])) == 1
    assert len(outbox_for(session, cast.focal["FJ"])) == 1

    service.move_meeting(
        session,
        settings,
        user=cast.coordinator,
        meeting=meeting,
        day="2027-07-14",
        start="10:00",
        duration=120,
        host_zone="Pacific/Fiji",
    )
    assert len(outbox_for(session, cast.focal["FJ"])) == 2
    assert service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[]) == 0


def test_inactive_focal_points_are_not_invited(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    gone = focal_point(session, "WS", display_name="Former Samoa Focal")
    gone.is_active = False
    session.add(gone)
    session.commit()
    meeting = make_meeting()
    service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])
    assert gone.id not in invited_people(session, meeting) and outbox_for(session, gone) == []


@pytest.mark.parametrize(
    ("who", "message"),
    [("unknown_state", "Choose states from the list."), ("focal_point_as_observer", "Choose observers from the list.")],
)
def test_inviting_someone_not_on_the_lists_is_refused_and_nobody_is_invited(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory, who: str, message: str
) -> None:
    meeting = make_meeting()
    states, observers = ([999_999], []) if who == "unknown_state" else ([], [cast.focal["VU"].id])
    with pytest.raises(DomainError) as error:
        service.invite(
            session, settings, user=cast.coordinator, meeting=meeting, state_ids=states, observer_ids=observers
        )  # type: ignore[arg-type]
    session.rollback()
    assert said(error) == message
    assert invited_people(session, meeting) == set()
    assert outbox_for(session, *cast.focal.values()) == []


def test_only_coordinators_invite_and_nobody_is_invited_to_a_cancelled_meeting(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    with pytest.raises(Forbidden):
        service.invite(session, settings, user=cast.focal["FJ"], meeting=meeting, state_ids=[])
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)
    with pytest.raises(Conflict):
        service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])
    session.rollback()
    assert invited_people(session, meeting) == set()


@pytest.fixture
def invited(session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory) -> Meeting:
    """A meeting whose member states, Tonga and one observer are invited."""
    meeting = make_meeting()
    service.invite(
        session,
        settings,
        user=cast.coordinator,
        meeting=meeting,
        state_ids=[cast.states["TO"].id],
        observer_ids=[cast.observer.id],
    )  # type: ignore[list-item]
    return meeting


def invitation_of(session: Session, meeting: Meeting, user: User) -> Invitation:
    session.expire_all()
    found = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id)
    ).one()
    return found


def test_focal_points_answer_attending_not_attending_or_delegating(
    session: Session, cast: Cast, invited: Meeting
) -> None:
    service.answer(session, user=cast.focal["FJ"], meeting=invited, reply="attending")
    service.answer(session, user=cast.focal["WS"], meeting=invited, reply="not_attending")
    service.answer(
        session,
        user=cast.focal["CK"],
        meeting=invited,
        reply="delegated",
        delegate_name="  Mele Tupou ",
        delegate_email="mele.tupou@example.org",
    )
    service.answer(session, user=cast.observer, meeting=invited, reply="attending")

    fiji, samoa, cook = (invitation_of(session, invited, cast.focal[code]) for code in ("FJ", "WS", "CK"))
    assert (fiji.answer, samoa.answer, cook.answer) == ("attending", "not_attending", "delegated")
    assert (cook.delegate_name, cook.delegate_email) == ("Mele Tupou", "mele.tupou@example.org")
    assert fiji.answered_at is not None
    assert invitation_of(session, invited, cast.observer).answer == "attending"
    assert invitation_of(session, invited, cast.focal["PG"]).answer == ""


def test_a_later_answer_replaces_the_earlier_one_and_clears_the_delegate(
    session: Session, cast: Cast, invited: Meeting
) -> None:
    service.answer(session, user=cast.focal["CK"], meeting=invited, reply="delegated", delegate_name="Mele Tupou")
    service.answer(session, user=cast.focal["CK"], meeting=invited, reply="attending")
    row = invitation_of(session, invited, cast.focal["CK"])
    assert (row.answer, row.delegate_name, row.delegate_email) == ("attending", "", "")
    assert (
        len(
            session.exec(
                select(Invitation).where(Invitation.meeting_id == invited.id, Invitation.user_id == cast.focal["CK"].id)
            ).all()
        )
        == 1
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reply": "delegated"}, "Give the name of the colleague you delegate to."),
        ({"reply": "delegated", "delegate_name": "   "}, "Give the name of the colleague you delegate to."),
        ({"reply": "delegated", "delegate_name": "x" * 121}, "Give the name of the colleague you delegate to."),
        (
            {"reply": "delegated", "delegate_name": "Mele Tupou", "delegate_email": "mele at example.org"},
            "The colleague's email address is not valid.",
        ),
        (
            {"reply": "delegated", "delegate_name": "Mele Tupou", "delegate_email": "Mele <mele@example.org>"},
            "The colleague's email address is not valid.",
        ),
        ({"reply": "maybe"}, "Answer attending, not attending or delegating."),
    ],
)
def test_a_bad_answer_is_refused_and_the_invitation_keeps_waiting(
    session: Session, cast: Cast, invited: Meeting, fields: dict[str, str], message: str
) -> None:
    with pytest.raises(DomainError) as error:
        service.answer(session, user=cast.focal["CK"], meeting=invited, **fields)
    session.rollback()
    assert said(error) == message
    row = invitation_of(session, invited, cast.focal["CK"])
    assert (row.answer, row.delegate_name, row.answered_at) == ("", "", None)


@pytest.mark.parametrize("who", ["uninvited_focal_point", "uninvited_observer", "coordinator"])
def test_someone_not_invited_cannot_answer(session: Session, cast: Cast, invited: Meeting, who: str) -> None:
    user = {
        "uninvited_focal_point": cast.focal["VU"],
        "uninvited_observer": cast.other_observer,
        "coordinator": cast.coordinator,
    }[who]
    with pytest.raises(Forbidden) as error:
        service.answer(session, user=user, meeting=invited, reply="attending")
    assert said(error) == "You are not invited to this meeting."
    session.rollback()
    assert invited_people(session, invited).isdisjoint({user.id})


def test_nobody_answers_a_cancelled_meeting(session: Session, settings: Settings, cast: Cast, invited: Meeting) -> None:
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=invited)
    with pytest.raises(Conflict):
        service.answer(session, user=cast.focal["FJ"], meeting=invited, reply="attending")
    session.rollback()
    assert invitation_of(session, invited, cast.focal["FJ"]).answer == ""


def test_nobody_answers_a_meeting_that_has_ended(session: Session, settings: Settings, cast: Cast) -> None:
    held = service.create_meeting(
        session, settings, user=cast.coordinator, form=form(day=(date.today() - timedelta(days=10)).isoformat())
    )
    service.invite(session, settings, user=cast.coordinator, meeting=held, state_ids=[])
    with pytest.raises(Conflict) as error:
        service.answer(session, user=cast.focal["FJ"], meeting=held, reply="attending")
    session.rollback()
    assert said(error) == "This meeting has ended."
    assert invitation_of(session, held, cast.focal["FJ"]).answer == ""


# Agenda


def add(
    session: Session, cast: Cast, meeting: Meeting, title: str, minutes: int = 20, part: str = "members"
) -> AgendaItem:
    return service.add_agenda_item(
        session, user=cast.coordinator, meeting=meeting, title=title, presenter="Fiji", duration=minutes, part=part
    )


def titles(session: Session, meeting: Meeting) -> list[str]:
    return [item.title for item in service.agenda(session, meeting)]


def test_agenda_items_keep_their_order_and_can_be_moved_and_removed(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    welcome, updates, actions, close = (
        add(session, cast, meeting, t) for t in ("Welcome", "Written updates", "Action items", "Close")
    )
    assert titles(session, meeting) == ["Welcome", "Written updates", "Action items", "Close"]

    service.move_agenda_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        item_id=actions.id,  # type: ignore[arg-type]
        direction="up",
    )
    assert titles(session, meeting) == ["Welcome", "Action items", "Written updates", "Close"]
    service.move_agenda_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        item_id=welcome.id,  # type: ignore[arg-type]
        direction="down",
    )
    assert titles(session, meeting) == ["Action items", "Welcome", "Written updates", "Close"]
    service.move_agenda_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        item_id=close.id,  # type: ignore[arg-type]
        direction="down",
    )
    assert titles(session, meeting) == ["Action items", "Welcome", "Written updates", "Close"]

    service.remove_agenda_item(session, user=cast.coordinator, meeting=meeting, item_id=updates.id)  # type: ignore[arg-type]
    assert titles(session, meeting) == ["Action items", "Welcome", "Close"]
    assert add(session, cast, meeting, "Any other business").position > close.position
    assert titles(session, meeting)[-1] == "Any other business"


def test_an_agenda_longer_than_the_meeting_is_refused(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting(duration=120)
    add(session, cast, meeting, "Members-only part", 60)
    add(session, cast, meeting, "Part with observers", 60, part="observers")
    with pytest.raises(DomainError) as error:
        add(session, cast, meeting, "One more minute", 1)
    session.rollback()
    assert said(error) == "The agenda (121 minutes) is longer than the meeting (120 minutes)."
    assert titles(session, meeting) == ["Members-only part", "Part with observers"]


def test_a_meeting_cannot_be_shortened_below_its_agenda(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting(duration=120)
    add(session, cast, meeting, "Members-only part", 90)
    with pytest.raises(DomainError) as error:
        service.move_meeting(
            session,
            settings,
            user=cast.coordinator,
            meeting=meeting,
            day="2027-07-13",
            start="10:00",
            duration=60,
            host_zone="Pacific/Fiji",
        )
    session.rollback()
    assert said(error) == "The agenda (90 minutes) is longer than the meeting (60 minutes)."
    reread = session.get(Meeting, meeting.id)
    assert reread is not None and (reread.ends_at - reread.starts_at).total_seconds() == 120 * 60


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " "}, "Give the item a title of at most 300 characters."),
        ({"duration": 0}, "An item lasts at least one minute."),
        ({"duration": "ten"}, "The duration must be a number of minutes."),
        ({"part": "everyone"}, "Choose members only or with observers."),
    ],
)
def test_a_bad_agenda_item_is_refused(
    session: Session, cast: Cast, make_meeting: MeetingFactory, fields: dict[str, Any], message: str
) -> None:
    meeting = make_meeting()
    item: dict[str, Any] = {"title": "Welcome", "presenter": "Fiji", "duration": 10, "part": "members", **fields}
    with pytest.raises(DomainError) as error:
        service.add_agenda_item(session, user=cast.coordinator, meeting=meeting, **item)
    assert said(error) == message
    session.rollback()
    assert titles(session, meeting) == []


def test_circulating_the_agenda_emails_each_invited_person_then_final_freezes_it(
    session: Session, settings: Settings, cast: Cast, invited: Meeting
) -> None:
    with pytest.raises(DomainError) as empty:
        service.advance_agenda(session, settings, user=cast.coordinator, meeting=invited)
    assert said(empty) == "Add at least one item before circulating the agenda."
    item = add(session, cast, invited, "Welcome", 10)
    people = [cast.focal[code] for code in (*MEMBERS, "TO")] + [cast.observer]
    before = {person.id: len(outbox_for(session, person)) for person in people}

    assert service.advance_agenda(session, settings, user=cast.coordinator, meeting=invited) == "circulated"
    notices = [
        m
        for m in outbox_for(session, *people, cast.focal["VU"], cast.other_observer)
        if m.subject == "Agenda circulated: Quarterly SME meeting"
    ]
    assert sorted(m.recipient for m in notices) == sorted(p.email for p in people)
    assert all(len(outbox_for(session, p)) == before[p.id] + 1 for p in people)
    rarotonga = next(m for m in notices if m.recipient == cast.focal["CK"].email)
    assert "Monday, 12 July 2027, 12:00 UTC-10 (your time)" in rarotonga.body

    add(session, cast, invited, "Still possible while circulated", 10)
    assert service.advance_agenda(session, settings, user=cast.coordinator, meeting=invited) == "final"
    changes = [
        lambda: add(session, cast, invited, "Too late", 10),
        lambda: service.move_agenda_item(
            session, user=cast.coordinator, meeting=invited, item_id=item.id, direction="down"
        ),
        lambda: service.remove_agenda_item(session, user=cast.coordinator, meeting=invited, item_id=item.id),
        lambda: service.advance_agenda(session, settings, user=cast.coordinator, meeting=invited),
    ]
    for change in changes:
        with pytest.raises(Conflict):
            change()
    assert titles(session, invited) == ["Welcome", "Still possible while circulated"]


def test_focal_points_cannot_edit_the_agenda(session: Session, cast: Cast, make_meeting: MeetingFactory) -> None:
    meeting = make_meeting()
    with pytest.raises(Forbidden):
        service.add_agenda_item(
            session, user=cast.focal["FJ"], meeting=meeting, title="Our item", presenter="", duration=10, part="members"
        )
    assert titles(session, meeting) == []


# Minutes and summaries


def test_each_save_of_the_minutes_appends_a_version_and_keeps_the_earlier_ones(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    assert service.minutes(session, meeting) == (None, 0)
    first = service.save_minutes(session, user=cast.coordinator, meeting=meeting, text="Draft.\r\nFiji opened.")
    second = service.save_minutes(session, user=cast.coordinator, meeting=meeting, text="Fiji opened; Samoa chaired.")
    current, versions = service.minutes(session, meeting)
    assert versions == 2 and current is not None and current.id == second.id
    assert current.text == "Fiji opened; Samoa chaired."
    session.expire_all()
    kept = session.exec(
        select(MinutesVersion).where(MinutesVersion.meeting_id == meeting.id).order_by(col(MinutesVersion.id))
    ).all()
    assert [v.text for v in kept] == ["Draft.\nFiji opened.", "Fiji opened; Samoa chaired."]
    assert kept[0].id == first.id


def test_only_coordinators_write_minutes(session: Session, cast: Cast, make_meeting: MeetingFactory) -> None:
    meeting = make_meeting()
    with pytest.raises(Forbidden):
        service.save_minutes(session, user=cast.focal["FJ"], meeting=meeting, text="Fiji's version")
    assert service.minutes(session, meeting) == (None, 0)


def test_rendered_minutes_drop_scripts_raw_html_and_javascript_links() -> None:
    html = str(
        text.render(
            "Opened.\n\n<script>alert('x')</script>\n\n<b onclick=\"steal()\">bold</b>\n\n"
            "[report](javascript:alert(1)) and [UN](https://peacekeeping.un.org) and [mail](mailto:sme@example.org)"
            '\n\n<a href="javascript:alert(2)">raw link</a>'
        )
    )
    page = BeautifulSoup(html, "html.parser")
    assert page.find("script") is None and page.find("b") is None
    assert not any(name.startswith("on") for tag in page.find_all(True) for name in tag.attrs)
    assert [a["href"] for a in page.find_all("a")] == ["https://peacekeeping.un.org", "mailto:sme@example.org"]
    assert all(a["rel"] == ["noopener", "noreferrer", "nofollow"] for a in page.find_all("a"))
    assert "<script>alert('x')</script>" in page.get_text()  # shown as text, never run


def test_rendered_minutes_put_headings_below_the_pages_title() -> None:
    page = BeautifulSoup(str(text.render("# Minutes\n\n## Members-only part\n\n### Item 1\n\nText.")), "html.parser")
    assert page.find("h1") is None
    assert [(h.name, h.get_text()) for h in page.find_all(["h2", "h3", "h4"])] == [
        ("h2", "Minutes"),
        ("h3", "Members-only part"),
        ("h4", "Item 1"),
    ]


def test_a_summary_is_public_only_once_published_with_text(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    with pytest.raises(DomainError) as error:
        service.set_publication(
            session, user=cast.coordinator, meeting=meeting, summary="  ", publish=True, chatham_house=True
        )
    assert said(error) == "Write the summary before publishing it."
    session.rollback()
    draft = service.set_publication(
        session, user=cast.coordinator, meeting=meeting, summary="Met.", publish=False, chatham_house=True
    )
    assert draft.summary_published_at is None and draft.chatham_house
    published = service.set_publication(
        session, user=cast.coordinator, meeting=meeting, summary="Met.", publish=True, chatham_house=True
    )
    assert published.summary_published_at is not None
    with pytest.raises(Forbidden):
        service.set_publication(
            session, user=cast.focal["FJ"], meeting=meeting, summary="", publish=False, chatham_house=False
        )


# Attendance


def test_attendance_is_recorded_for_invited_states_only(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    fiji, samoa = cast.states["FJ"].id, cast.states["WS"].id
    service.record_attendance(session, user=cast.coordinator, meeting=meeting, present_state_ids=[fiji, samoa])
    service.record_attendance(session, user=cast.coordinator, meeting=meeting, present_state_ids=[fiji])
    record = service.attendance(session, meeting)
    assert record == {state_id: state_id == fiji for state_id in member_ids(cast)}
    with pytest.raises(DomainError) as error:
        service.record_attendance(
            session, user=cast.coordinator, meeting=meeting, present_state_ids=[cast.states["VU"].id]
        )  # type: ignore[list-item]
    assert said(error) == "Only invited states can be recorded as present."
    session.rollback()
    assert service.attendance(session, meeting) == record


# Action items


@pytest.fixture
def two_meetings(make_meeting: MeetingFactory) -> tuple[Meeting, Meeting]:
    """The July and October SME meetings."""
    return make_meeting(), make_meeting(day="2027-10-12")


def raise_item(session: Session, cast: Cast, meeting: Meeting, code: str = "FJ") -> ActionItem:
    return service.add_action_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        owner_state_id=cast.states[code].id,  # type: ignore[arg-type]
        text="Circulate the deployment readiness checklist",
        due_on="2027-09-30",
    )


def events(session: Session, item: ActionItem) -> list[str]:
    return list(
        session.exec(
            select(ActionItemEvent.status)
            .where(ActionItemEvent.action_item_id == item.id)
            .order_by(col(ActionItemEvent.id))
        ).all()
    )


def test_an_action_item_raised_at_one_meeting_is_reviewed_at_the_next(
    session: Session, cast: Cast, two_meetings: tuple[Meeting, Meeting], make_meeting: MeetingFactory
) -> None:
    july, october = two_meetings
    item = raise_item(session, cast, july)
    earlier = make_meeting(day="2027-04-13")
    assert [i.id for i in service.action_items(session, july)] == [item.id]
    assert [i.id for i in service.for_review(session, october)] == [item.id]
    assert service.for_review(session, july) == [] and service.for_review(session, earlier) == []
    previous = service.previous_meeting(session, october)
    assert previous is not None and previous.id == july.id
    assert item.due_on == date(2027, 9, 30) and events(session, item) == ["open"]


def test_a_working_groups_meeting_reviews_the_items_of_that_groups_earlier_meetings_only(
    session: Session, settings: Settings, cast: Cast, two_meetings: tuple[Meeting, Meeting]
) -> None:
    _adhoc, group_july, group_october = group_meetings(session, settings, cast)
    sme_july, sme_october = two_meetings
    of_the_group, of_the_body = raise_item(session, cast, group_july), raise_item(session, cast, sme_july)
    assert [i.id for i in service.for_review(session, group_october)] == [of_the_group.id]
    assert [i.id for i in service.for_review(session, sme_october)] == [of_the_body.id]
    raised, reviewed = service.raised_and_reviewed(session, group_october)
    assert raised == [] and [i.id for i in reviewed] == [of_the_group.id]


def test_status_changes_append_events_and_a_done_item_leaves_the_review(
    session: Session, cast: Cast, two_meetings: tuple[Meeting, Meeting]
) -> None:
    july, october = two_meetings
    item = raise_item(session, cast, july)
    service.change_action_item(
        session,
        user=cast.focal["FJ"],
        meeting=july,
        item_id=item.id,  # type: ignore[arg-type]
        status="in_progress",
        note="Draft shared with PNG",
    )
    service.change_action_item(
        session,
        user=cast.coordinator,
        meeting=october,
        item_id=item.id,  # type: ignore[arg-type]
        status="done",
    )
    assert events(session, item) == ["open", "in_progress", "done"]
    notes = session.exec(
        select(ActionItemEvent.note).where(ActionItemEvent.action_item_id == item.id).order_by(col(ActionItemEvent.id))
    ).all()
    assert list(notes) == ["", "Draft shared with PNG", ""]
    assert session.get_one(ActionItem, item.id).status == "done"
    assert service.for_review(session, october) == []


@pytest.mark.parametrize("who", ["focal point of another state", "observer"])
def test_only_the_owner_states_focal_points_or_coordinators_change_an_action_item(
    session: Session, cast: Cast, two_meetings: tuple[Meeting, Meeting], who: str
) -> None:
    july, _ = two_meetings
    item = raise_item(session, cast, july, code="FJ")
    user = cast.observer if who == "observer" else cast.focal["WS"]
    with pytest.raises(Forbidden):
        service.change_action_item(session, user=user, meeting=july, item_id=item.id, status="done")  # type: ignore[arg-type]
    session.rollback()
    assert events(session, item) == ["open"]
    assert session.get_one(ActionItem, item.id).status == "open"


def test_an_action_item_is_not_changed_through_an_unrelated_meeting_or_to_an_unknown_status(
    session: Session, cast: Cast, two_meetings: tuple[Meeting, Meeting], make_meeting: MeetingFactory
) -> None:
    july, _ = two_meetings
    item = raise_item(session, cast, july)
    earlier = make_meeting(day="2027-04-13")
    with pytest.raises(NotFound):
        service.change_action_item(
            session,
            user=cast.coordinator,
            meeting=earlier,
            item_id=item.id,  # type: ignore[arg-type]
            status="done",
        )
    with pytest.raises(DomainError) as error:
        service.change_action_item(
            session,
            user=cast.coordinator,
            meeting=july,
            item_id=item.id,  # type: ignore[arg-type]
            status="forgotten",
        )
    assert said(error) == "Choose a status from the list."
    session.rollback()
    assert events(session, item) == ["open"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "  "}, "Describe the action in at most 1,000 characters."),
        ({"text": "x" * 1001}, "Describe the action in at most 1,000 characters."),
        ({"due_on": "30/09/2027"}, "Give the date as YYYY-MM-DD."),
        ({"owner_state_id": 999_999}, "Choose the state that owns the action."),
    ],
)
def test_a_bad_action_item_is_refused(
    session: Session, cast: Cast, two_meetings: tuple[Meeting, Meeting], fields: dict[str, Any], message: str
) -> None:
    july, _ = two_meetings
    item: dict[str, Any] = {"owner_state_id": cast.states["FJ"].id, "text": "Report", "due_on": "2027-09-30", **fields}
    with pytest.raises(DomainError) as error:
        service.add_action_item(session, user=cast.coordinator, meeting=july, **item)
    session.rollback()
    assert said(error) == message
    assert service.action_items(session, july) == []


# The focal point's dashboard


def test_the_dashboard_shows_next_meetings_waiting_invitations_and_due_action_items(
    session: Session, settings: Settings, cast: Cast, two_meetings: tuple[Meeting, Meeting]
) -> None:
    july, october = two_meetings
    for meeting in two_meetings:
        service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])
    service.answer(session, user=cast.focal["FJ"], meeting=july, reply="attending")
    item = raise_item(session, cast, july, code="FJ")
    service.save_minutes(session, user=cast.coordinator, meeting=july, text="Fiji reported.")

    now = datetime(2027, 7, 1, tzinfo=UTC)
    fiji = dashboard(session, settings, user=cast.focal["FJ"], now=now)
    assert [m.id for m in fiji.next_meetings] == [july.id, october.id]
    assert [m.id for m in fiji.waiting] == [october.id]
    assert [(i.id, m.id) for i, m in fiji.due_actions] == [(item.id, july.id)]
    assert [m.id for m, _ in fiji.recent_minutes] == [july.id]

    vanuatu = dashboard(session, settings, user=cast.focal["VU"], now=now)
    assert (vanuatu.next_meetings, vanuatu.waiting, vanuatu.due_actions, vanuatu.recent_minutes) == ([], [], [], [])


# Who sees, who is a member, who runs


ACCESS = [
    ("coordinator", (True, True, True)),
    ("admin", (True, True, True)),
    ("focal point of a member state", (True, True, False)),
    ("focal point of an invited non-member state", (True, False, False)),
    ("focal point of an uninvited state", (False, False, False)),
    ("invited observer", (True, False, False)),
    ("observer not invited", (False, False, False)),
]


def person(session: Session, cast: Cast, who: str) -> User:
    return {
        "coordinator": lambda: cast.coordinator,
        "admin": lambda: make_user(session, role="admin", password=None),
        "focal point of a member state": lambda: cast.focal["CK"],
        "focal point of an invited non-member state": lambda: cast.focal["TO"],
        "focal point of an uninvited state": lambda: cast.focal["VU"],
        "invited observer": lambda: cast.observer,
        "observer not invited": lambda: cast.other_observer,
    }[who]()


@pytest.mark.parametrize(("who", "expected"), ACCESS, ids=[who for who, _ in ACCESS])
def test_access_for_each_kind_of_person(
    session: Session, cast: Cast, invited: Meeting, who: str, expected: tuple[bool, bool, bool]
) -> None:
    user = person(session, cast, who)
    rights = service.access(session, invited, user)
    assert (rights.sees, rights.member, rights.runs) == expected
    assert rights.attributions == (expected[1] or expected[2])
    if expected[0]:
        assert service.get_meeting(session, invited.id, user=user)[0].id == invited.id  # type: ignore[arg-type]
    else:
        with pytest.raises(NotFound) as error:
            service.get_meeting(session, invited.id, user=user)  # type: ignore[arg-type]
        assert said(error) == "No such meeting."
    listed = invited.id in {m.id for m in service.upcoming(session, user=user, now=datetime(2027, 1, 1, tzinfo=UTC))}
    assert listed == expected[0]


def test_a_member_states_focal_point_sees_the_meeting_before_being_invited(
    session: Session, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    rights = service.access(session, meeting, cast.focal["PW"])
    assert (rights.sees, rights.member, rights.runs, rights.state_id) == (True, True, False, cast.states["PW"].id)


def test_a_meeting_that_does_not_exist_is_not_found(session: Session, cast: Cast) -> None:
    with pytest.raises(NotFound):
        service.get_meeting(session, 987_654, user=cast.coordinator)
