"""Texts of the meeting emails, in the recipient's language, with the time in their own zone and the host's."""

from __future__ import annotations

from app.auth.models import User
from app.i18n import gettext as _
from app.i18n import in_language
from app.meetings.models import Meeting
from app.meetings.timing import describe


def _when(meeting: Meeting, user: User) -> str:
    return _("%(own)s (your time); %(host)s at the host") % {
        "own": describe(meeting.starts_at, user.time_zone, user.language),
        "host": describe(meeting.starts_at, meeting.host_zone, user.language),
    }


def meeting_message(
    *, user: User, meeting: Meeting, title: str, url: str, portal: str, first: bool = True
) -> tuple[str, str]:
    """The invitation, its update after a change (to someone already invited), or the cancellation."""
    with in_language(user.language):
        if meeting.cancelled:
            subject = _("Cancelled: %(title)s") % {"title": title}
            body = _('Hello %(name)s,\n\nThe meeting "%(title)s" planned for %(when)s is cancelled.\n\n%(url)s')
        elif meeting.ics_sequence and not first:
            subject = _("Changed: %(title)s") % {"title": title}
            body = _(
                'Hello %(name)s,\n\nThe meeting "%(title)s" has changed. It now takes place %(when)s.\n\n'
                "Answer and read the agenda on %(portal)s:\n%(url)s"
            )
        else:
            subject = _("Invitation: %(title)s") % {"title": title}
            body = _(
                'Hello %(name)s,\n\nYou are invited to "%(title)s", %(when)s.\n\n'
                "Answer and read the agenda on %(portal)s:\n%(url)s"
            )
        body = body % {
            "name": user.display_name,
            "title": title,
            "when": _when(meeting, user),
            "url": url,
            "portal": portal,
        }
    return subject, body


def agenda_message(*, user: User, meeting: Meeting, title: str, url: str, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("Agenda circulated: %(title)s") % {"title": title}
        body = _(
            'Hello %(name)s,\n\nThe agenda of "%(title)s" (%(when)s) has been circulated on %(portal)s:\n%(url)s'
        ) % {"name": user.display_name, "title": title, "when": _when(meeting, user), "portal": portal, "url": url}
    return subject, body
