"""Each calendar file says what it is (RFC 5546): the invitation emailed is a REQUEST, or a CANCEL once the
meeting is cancelled, naming a real organizer and asking for no emailed answer (the portal reads no mailbox:
answers are given on the meeting's page); the file downloaded from the meeting page and the private feed are a
PUBLISH with no attendee. The email's Reply-To and its calendar part's method agree with the file."""

from __future__ import annotations

from email.message import EmailMessage

from icalendar import Calendar, Event
from sqlmodel import Session

from app.auth import service as accounts
from app.core.config import Settings
from app.core.db import id_of
from app.meetings import service
from app.meetings.models import Meeting
from app.outbox import service as outbox
from app.outbox.models import OutboxMessage
from tests.factories import make_user
from tests.meetings.conftest import Cast, MeetingFactory, focal_point, outbox_for

NETWORK_EN = "Pacific peacekeeping network"
NETWORK_FR = "Réseau Pacifique pour le maintien de la paix"
SECRETARIAT = "secretariat@prcn.example.org"


def only_event(text: str | None) -> tuple[Calendar, Event]:
    assert text, "no calendar"
    calendar = Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def invite_fiji(session: Session, settings: Settings, cast: Cast, meeting: Meeting) -> None:
    service.invite(session, settings, user=cast.coordinator, meeting=meeting, state_ids=[cast.states["FJ"].id])


def calendar_part(email: EmailMessage) -> EmailMessage:
    (part,) = [p for p in email.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part  # type: ignore[return-value]


def test_an_invitation_is_a_request_from_the_coordinator_asking_for_no_emailed_answer(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_fiji(session, settings, cast, meeting)
    (message,) = outbox_for(session, cast.focal["FJ"])
    calendar, event = only_event(message.calendar)

    assert str(calendar["method"]) == "REQUEST"
    attendee = event["attendee"]
    assert str(attendee) == f"mailto:{cast.focal['FJ'].email}"
    assert attendee.params["RSVP"] == "FALSE"
    # No PRCN_MAIL_REPLY_TO: the coordinator who scheduled the meeting is a person who can answer.
    assert str(event["organizer"]) == f"mailto:{cast.coordinator.email}"
    assert event["organizer"].params["CN"] == NETWORK_EN

    email = outbox.build_email(message, settings)
    assert email["Reply-To"] == cast.coordinator.email
    assert email["From"] == settings.mail_from
    assert calendar_part(email).get_param("method") == "REQUEST"


def test_a_french_reader_sees_the_networks_french_name_as_organizer(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    francophone = focal_point(session, "FJ", language="fr", display_name="Fanny Fidji")
    invite_fiji(session, settings, cast, make_meeting())
    (english,), (french,) = outbox_for(session, cast.focal["FJ"]), outbox_for(session, francophone)
    assert only_event(english.calendar)[1]["organizer"].params["CN"] == NETWORK_EN
    assert only_event(french.calendar)[1]["organizer"].params["CN"] == NETWORK_FR


def test_the_configured_reply_to_address_organizes_every_file_and_answers_every_email(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    configured = settings.model_copy(update={"mail_reply_to": SECRETARIAT})
    meeting = make_meeting()
    invite_fiji(session, configured, cast, meeting)
    (message,) = outbox_for(session, cast.focal["FJ"])
    fiji = cast.focal["FJ"]
    files = {
        "invitation": message.calendar,
        "download": service.meeting_calendar(session, configured, meeting, user=fiji),
        "feed": service.feed_calendar(session, configured, token=service.new_feed(session, user=fiji)),
    }
    for kind, text in files.items():
        assert str(only_event(text)[1]["organizer"]) == f"mailto:{SECRETARIAT}", kind
    assert outbox.build_email(message, configured)["Reply-To"] == SECRETARIAT

    # An email without a calendar (a password reset, say) answers to it too; unset, it carries no Reply-To.
    plain = OutboxMessage(id=7, recipient="someone@example.org", subject="Hello", body="Hello")
    assert outbox.build_email(plain, configured)["Reply-To"] == SECRETARIAT
    assert outbox.build_email(plain, settings)["Reply-To"] is None
    # A calendar the library cannot read (one queued by an older version, say) is still sent, answering to it.
    unreadable = OutboxMessage(id=8, recipient="someone@example.org", subject="Hi", body="Hi", calendar="garbage\r\n")
    assert outbox.build_email(unreadable, configured)["Reply-To"] == SECRETARIAT


def test_without_an_active_creator_the_sender_address_organizes(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    admin = make_user(session, role="admin", password=None)
    accounts.set_active(session, user=cast.coordinator, active=False, actor_id=id_of(admin))
    invite_fiji(session, settings, cast, meeting)
    (message,) = outbox_for(session, cast.focal["FJ"])
    assert str(only_event(message.calendar)[1]["organizer"]) == f"mailto:{settings.mail_from}"
    assert outbox.build_email(message, settings)["Reply-To"] == settings.mail_from


def test_a_cancellation_is_a_cancel_from_the_same_organizer_asking_for_no_answer(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_fiji(session, settings, cast, meeting)
    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)
    request, cancel = outbox_for(session, cast.focal["FJ"])
    (_, request_event), (cancel_calendar, cancel_event) = (
        only_event(request.calendar),
        only_event(cancel.calendar),
    )

    assert str(cancel_calendar["method"]) == "CANCEL"
    assert str(cancel_event["status"]) == "CANCELLED"
    assert str(cancel_event["uid"]) == str(request_event["uid"])
    assert int(cancel_event["sequence"]) > int(request_event["sequence"])
    assert cancel_event["organizer"] == request_event["organizer"], "a CANCEL from another organizer is ignored"
    assert cancel_event["attendee"].params["RSVP"] == "FALSE"
    assert calendar_part(outbox.build_email(cancel, settings)).get_param("method") == "CANCEL"


def test_the_download_and_the_feed_are_published_with_no_attendee(
    session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory
) -> None:
    meeting = make_meeting()
    invite_fiji(session, settings, cast, meeting)
    fiji = cast.focal["FJ"]
    downloaded = service.meeting_calendar(session, settings, meeting, user=fiji)
    feed = service.feed_calendar(session, settings, token=service.new_feed(session, user=fiji))
    for text in (downloaded, feed):
        calendar, event = only_event(text)
        assert str(calendar["method"]) == "PUBLISH"
        assert "attendee" not in event and "RSVP" not in text
        assert str(event["organizer"]) == f"mailto:{cast.coordinator.email}"

    service.cancel_meeting(session, settings, user=cast.coordinator, meeting=meeting)
    calendar, event = only_event(service.meeting_calendar(session, settings, meeting, user=fiji))
    assert (str(calendar["method"]), str(event["status"])) == ("PUBLISH", "CANCELLED")
