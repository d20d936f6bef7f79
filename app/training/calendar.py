"""The calendar feed of training offers: one all-day event per course (iCalendar, RFC 5545)."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event
from sqlmodel import Session, select

from app.core import clock, formats, region
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.i18n import in_language
from app.meetings.calendar import PRODID, Organizer
from app.members.models import MemberState
from app.training.models import TrainingOffer


def offers_feed(session: Session, settings: Settings, offers: list[TrainingOffer], *, language: str) -> str:
    """Each offer from its first to its last day (DTEND is the day after, as RFC 5545 wants for dates): a PUBLISH
    with no attendee, organized by the reply-to address (else the sender's) in the network's name."""
    states = {state.id: state for state in session.exec(select(MemberState)).all()}
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    network = region.load(settings.seeds_dir).short_name(language)
    organizer = Organizer(settings.mail_reply_to or settings.mail_from, network).as_ical()
    with in_language(language):
        calendar.add("x-wr-calname", _("Training offers · %(network)s") % {"network": network})
        for offer in offers:
            event = Event()
            event.add("uid", f"training-offer-{offer.id}@{settings.base_url.split('://')[-1]}")
            event.add("dtstamp", clock.now())
            event.add("dtstart", offer.starts_on)
            event.add("dtend", offer.ends_on + timedelta(days=1))
            event.add("summary", offer.title)
            event.add("url", f"{settings.base_url}/training/{offer.id}")
            event.add("status", "CANCELLED" if offer.status == "cancelled" else "CONFIRMED")
            event.add("organizer", organizer, encode=False)
            venue = states.get(offer.venue_state_id) if offer.venue_state_id else None
            event.add(
                "location",
                _("Online") if offer.online else f"{offer.city}, {venue.name(language) if venue else ''}".strip(", "),
            )
            event.add("description", _("Nominations until %(day)s.") % {"day": formats.day(offer.deadline_on)})
            calendar.add_component(event)
    return calendar.to_ical().decode()
