"""iCalendar files as calendar programs read them: invitations, changes, cancellations and private feeds, each
parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar, Event
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import Settings
from app.core.errors import Conflict, NotFound
from app.meetings import service
from app.meetings.models import Meeting
from tests.meetings.conftest import Cast, MeetingFactory, focal_point, outbox_for

MEMBER_CODES = ("FJ", "WS", "CK", "PG", "PW")


def parse(text: str | None) -> Calendar:
    assert text, "no calendar attached"
    return Calendar.from_ical(text)


def event(calendar: Calendar) -> Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def stored(session: Session, meeting: Meeting) -> tuple[datetime, datetime]:
    """The meeting's start and end as the database holds them."""
    row = session.exec(select(Meeting.starts_at, Meeting.ends_at).where(Meeting.id == meeting.id)).one()
    return row[0], row[1]


def by_vtimezone(calendar: Calendar, name: str) -> datetime:
    """The instant of a DTSTART/DTEND as a program that knows only the file's VTIMEZONE rules computes it."""
    prop = event(calendar)[name]
    timezones = {str(tz["tzid"]): tz for tz in calendar.walk("VTIMEZONE")}
    rules = timezones[str(prop.params["TZID"])].to_tz(lookup_tzid=False)
    return prop.dt.replace(tzinfo=None).replace(tzinfo=rules).astimezone(UTC)


def members(cast: Cast) -> list[User]:
    return [cast.focal[code] for code in MEMBER_CODES]


def invite_members(session: Session, settings: Settings, cast: Cast, meeting: Meeting) -> int:
    return service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[])


# Invitations


def test_each_invited_focal_point_gets_an_email_with_a_request_a_calendar_library_accepts(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    assert invite_members(session, settings, cast, meeting) == 5

    messages = outbox_for(session, *members(cast))
    assert sorted(m.recipient for m in messages) == sorted(p.email for p in members(cast))
    starts_at, ends_at = stored(session, meeting)
    for message in messages:
        calendar = parse(message.calendar)
        invitation = event(calendar)
        assert str(calendar["method"]) == "REQUEST"
        assert str(invitation["uid"]) == meeting.uid
        assert int(invitation["sequence"]) == 0
        assert str(invitation["status"]) == "CONFIRMED"
        assert str(invitation["attendee"]) == f"mailto:{message.recipient}"
        assert str(invitation["summary"]) == "Quarterly SME meeting"
        assert str(invitation["location"]) == "https://meet.example.org/sme"
        assert invitation["dtstart"].params["TZID"] == "Pacific/Fiji"
        assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Pacific/Fiji"]
        assert invitation["dtstart"].dt == starts_at == datetime(2027, 7, 12, 22, 0, tzinfo=UTC)
        assert invitation["dtend"].dt == ends_at
        assert by_vtimezone(calendar, "dtstart") == starts_at and by_vtimezone(calendar, "dtend") == ends_at


@pytest.mark.parametrize(
    ("day", "start", "zone", "utc"),
    [
        ("2027-02-09", "10:00", "Pacific/Auckland", datetime(2027, 2, 8, 21, 0, tzinfo=UTC)),
        ("2027-05-11", "10:00", "Pacific/Auckland", datetime(2027, 5, 10, 22, 0, tzinfo=UTC)),
        ("2027-04-13", "10:00", "America/Santiago", datetime(2027, 4, 13, 14, 0, tzinfo=UTC)),
        ("2027-10-12", "10:00", "America/Santiago", datetime(2027, 10, 12, 13, 0, tzinfo=UTC)),
    ],
)
def test_the_vtimezone_places_a_daylight_saving_meeting_at_its_true_instant(
    session: Session,
    settings: Settings,
    cast: Cast,
    make_meeting: MeetingFactory,
    day: str,
    start: str,
    zone: str,
    utc: datetime,
) -> None:
    meeting = make_meeting(day=day, start=start, host_zone=zone)
    invite_members(session, settings, cast, meeting)
    calendar = parse(outbox_for(session, cast.focal["FJ"])[0].calendar)
    assert event(calendar)["dtstart"].params["TZID"] == zone
    assert event(calendar)["dtstart"].dt.strftime("%H:%M") == start
    assert by_vtimezone(calendar, "dtstart") == stored(session, meeting)[0] == utc


def test_the_email_shows_the_recipients_own_time_and_the_hosts(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    invite_members(session, settings, cast, make_meeting())
    (rarotonga,) = outbox_for(session, cast.focal["CK"])
    (apia,) = outbox_for(session, cast.focal["WS"])
    assert rarotonga.subject == "Invitation: Quarterly SME meeting"
    assert (
        "Monday, 12 July 2027, 12:00 UTC-10 (your time); Tuesday, 13 July 2027, 10:00 UTC+12 at the host"
        in rarotonga.body
    )
    assert "Tuesday, 13 July 2027, 11:00 UTC+13 (your time)" in apia.body
    assert "http://testserver/meetings/" in rarotonga.body


def test_a_french_speaking_focal_point_gets_the_invitation_in_french_with_their_own_time(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    francophone = focal_point(session, "CK", language="fr", display_name="Camille Cook")
    meeting = make_meeting(title_fr="Réunion trimestrielle des experts")
    invite_members(session, settings, cast, meeting)
    (message,) = outbox_for(session, francophone)
    assert "lundi 12 juillet 2027, 12:00 UTC-10" in message.body
    assert "mardi 13 juillet 2027, 10:00 UTC+12" in message.body
    assert str(event(parse(message.calendar))["summary"]) == "Réunion trimestrielle des experts"


# Changes and cancellations


def test_moving_a_meeting_sends_a_request_with_the_same_uid_and_the_next_sequence(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    uid = meeting.uid
    service.move_meeting(
        session,
        settings,
        user=cast.coordinator,
        meeting=meeting,
        day="2027-07-14",
        start="09:00",
        duration=90,
        host_zone="Pacific/Apia",
    )

    first, change = outbox_for(session, cast.focal["PG"])
    assert change.subject == "Changed: Quarterly SME meeting"
    calendar = parse(change.calendar)
    moved = event(calendar)
    assert str(calendar["method"]) == "REQUEST"
    assert str(moved["uid"]) == uid == meeting.uid
    assert int(event(parse(first.calendar))["sequence"]) == 0 and int(moved["sequence"]) == 1
    assert moved["dtstart"].params["TZID"] == "Pacific/Apia"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Pacific/Apia"]
    starts_at, ends_at = stored(session, meeting)
    assert starts_at == datetime(2027, 7, 13, 20, 0, tzinfo=UTC) and ends_at - starts_at == timedelta(minutes=90)
    assert by_vtimezone(calendar, "dtstart") == starts_at
    assert (
        "Wednesday, 14 July 2027, 06:00 UTC+10 (your time); Wednesday, 14 July 2027, 09:00 UTC+13 at the host"
        in change.body
    )


def test_cancelling_sends_a_cancel_with_the_same_uid_and_a_higher_sequence(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    uid = meeting.uid
    service.move_meeting(
        session,
        settings,
        user=cast.coordinator,
        meeting=meeting,
        day="2027-07-13",
        start="11:00",
        duration=120,
        host_zone="Pacific/Fiji",
    )
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)

    messages = outbox_for(session, *members(cast))
    assert len(messages) == 15
    for person in members(cast):
        sent = [parse(m.calendar) for m in outbox_for(session, person)]
        assert [str(c["method"]) for c in sent] == ["REQUEST", "REQUEST", "CANCEL"]
        assert {str(event(c)["uid"]) for c in sent} == {uid}
        assert [int(event(c)["sequence"]) for c in sent] == [0, 1, 2]
        assert str(event(sent[-1])["status"]) == "CANCELLED"
        assert by_vtimezone(sent[-1], "dtstart") == stored(session, meeting)[0]
    assert outbox_for(session, cast.focal["FJ"])[-1].subject == "Cancelled: Quarterly SME meeting"


def test_someone_invited_after_a_change_receives_an_invitation_not_a_change_notice(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
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
    service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[cast.states["VU"].id])
    (newcomer,) = outbox_for(session, cast.focal["VU"])
    assert newcomer.subject == "Invitation: Quarterly SME meeting"
    assert "You are invited to" in newcomer.body and "has changed" not in newcomer.body
    assert int(event(parse(newcomer.calendar))["sequence"]) == 1


def test_a_cancelled_meeting_cannot_be_cancelled_or_moved_again(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)
    before = len(outbox_for(session, *members(cast)))
    with pytest.raises(Conflict):
        service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)
    with pytest.raises(Conflict):
        service.move_meeting(
            session,
            settings,
            user=cast.coordinator,
            meeting=meeting,
            day="2027-07-20",
            start="10:00",
            duration=60,
            host_zone="Pacific/Fiji",
        )
    session.rollback()
    assert len(outbox_for(session, *members(cast))) == before
    assert session.get_one(Meeting, meeting.id).ics_sequence == 1


def test_the_calendar_a_user_downloads_from_the_meeting_page_matches_the_emailed_one(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    downloaded = parse(service.meeting_calendar(session, settings, meeting, user=cast.focal["FJ"]))
    emailed = parse(outbox_for(session, cast.focal["FJ"])[0].calendar)
    for field in ("uid", "sequence", "summary", "organizer"):
        assert event(downloaded)[field] == event(emailed)[field]
    assert by_vtimezone(downloaded, "dtstart") == by_vtimezone(emailed, "dtstart")
    # The download is a copy to keep, not an invitation: nothing in it asks for an answer.
    assert str(downloaded["method"]) == "PUBLISH" and "attendee" not in event(downloaded)


# Private calendar feeds


def feed_uids(session: Session, settings: Settings, token: str) -> dict[str, str]:
    """The feed's events as UID -> STATUS; a feed is a subscription: a PUBLISH with no attendee."""
    calendar = parse(service.feed_calendar(session, settings, token=token))
    assert str(calendar["method"]) == "PUBLISH"
    assert not any("attendee" in e for e in calendar.walk("VEVENT"))
    return {str(e["uid"]): str(e["status"]) for e in calendar.walk("VEVENT")}


def test_a_feed_lists_the_users_meetings_and_not_others(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    sme = make_meeting()
    cancelled = make_meeting(day="2027-10-12")
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=cancelled)
    for_tonga = make_meeting(day="2027-08-10", title="Tonga briefing")
    service.invite(session, settings, user=cast.coordinator, meeting=for_tonga, state_ids=[cast.states["TO"].id])

    fiji = service.new_feed(session, user=cast.focal["FJ"])
    tonga = service.new_feed(session, user=cast.focal["TO"])
    vanuatu = service.new_feed(session, user=cast.focal["VU"])

    assert feed_uids(session, settings, fiji) == {
        sme.uid: "CONFIRMED",
        cancelled.uid: "CANCELLED",
        for_tonga.uid: "CONFIRMED",
    }
    assert feed_uids(session, settings, tonga) == {for_tonga.uid: "CONFIRMED"}
    assert feed_uids(session, settings, vanuatu) == {}
    assert service.has_feed(session, user=cast.focal["FJ"])


def test_feed_events_carry_the_host_zone_and_the_stored_instant(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting(host_zone="Pacific/Auckland", day="2027-02-09")
    token = service.new_feed(session, user=cast.focal["WS"])
    calendar = parse(service.feed_calendar(session, settings, token=token))
    assert event(calendar)["dtstart"].params["TZID"] == "Pacific/Auckland"
    assert by_vtimezone(calendar, "dtstart") == stored(session, meeting)[0]


def test_a_new_feed_link_stops_the_old_one(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    old = service.new_feed(session, user=cast.focal["FJ"])
    new = service.new_feed(session, user=cast.focal["FJ"])
    assert new != old
    assert set(feed_uids(session, settings, new)) == {meeting.uid}
    with pytest.raises(NotFound):
        service.feed_calendar(session, settings, token=old)


def test_a_revoked_feed_link_is_not_found(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    make_meeting()
    token = service.new_feed(session, user=cast.focal["FJ"])
    assert service.revoke_feed(session, user=cast.focal["FJ"]) == 1
    with pytest.raises(NotFound) as error:
        service.feed_calendar(session, settings, token=token)
    assert error.value.message == "This calendar link does not work any more. Make a new one on the meetings page."
    assert not service.has_feed(session, user=cast.focal["FJ"])


def test_a_guessed_feed_token_is_not_found(session: Session, settings: Settings, cast: Cast) -> None:
    service.new_feed(session, user=cast.focal["FJ"])
    with pytest.raises(NotFound):
        service.feed_calendar(session, settings, token="not-a-token")


def test_only_emails_with_invitations_carry_a_calendar(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_members(session, settings, cast, meeting)
    service.add_agenda_item(
        session, user=cast.coordinator, meeting=meeting, title="Welcome", presenter="Fiji", duration=10, part="members"
    )
    service.advance_agenda(session, settings, user=cast.coordinator, meeting=meeting)
    kinds = {(m.subject.split(":")[0], m.calendar is not None) for m in outbox_for(session, *members(cast))}
    assert kinds == {("Invitation", True), ("Agenda circulated", False)}
