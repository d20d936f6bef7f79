"""Texts of the reminders, in the recipient's language, with times in their own zone. Written as blocks with the
meeting emails' builder, so that the plain text and the HTML alternative always say the same."""

from __future__ import annotations

from datetime import date, datetime

from app.auth.models import User
from app.core import formats
from app.core.i18n import gettext as _
from app.core.i18n import in_language, ngettext
from app.meetings.mail import AnswerLinks, _Mail, _when
from app.meetings.models import Meeting

Message = tuple[str, str, str]


def _late(mail: _Mail, due: datetime | None, user: User) -> None:
    if due is not None:
        mail.para(
            _("This reminder was due on %(day)s; it is sent late, once.")
            % {"day": formats.local_date(due, user.time_zone, user.language)}
        )


def meeting_reminder(
    *,
    user: User,
    meeting: Meeting,
    days: int,
    url: str,
    portal: str,
    links: AnswerLinks | None,
    late: datetime | None,
) -> Message:
    title = meeting.title(user.language)
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        if days == 0:
            subject = _("Reminder: %(title)s, today") % {"title": title}
        elif days == 1:
            subject = _("Reminder: %(title)s, tomorrow") % {"title": title}
        else:
            subject = ngettext(
                "Reminder: %(title)s, in %(days)s day", "Reminder: %(title)s, in %(days)s days", days
            ) % {
                "title": title,
                "days": days,
            }
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        _late(mail, late, user)
        mail.para(_('You are invited to "%(title)s".') % {"title": title})
        mail.facts([(_("Meeting"), title), (_("When"), _when(meeting, user))])
        if links:
            mail.links(
                _("Answer with one click, no sign-in needed (the links work until the meeting ends):"),
                [(_("I will attend"), links.attend), (_("I will not attend"), links.decline)],
            )
        mail.links(
            _("Read the agenda and answer on %(portal)s:") % {"portal": portal}, [(_("The meeting's page"), url)]
        )
        _footer(mail)
    return subject, mail.text(), mail.html(user.language, subject)


def nomination_reminder(
    *, user: User, offer_title: str, deadline: date, state: str, url: str, portal: str, late: datetime | None
) -> Message:
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        subject = _("Nomination deadline %(day)s: %(title)s") % {
            "day": formats.day(deadline, user.language),
            "title": offer_title,
        }
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        _late(mail, late, user)
        mail.para(
            _('%(state)s has not nominated anyone for "%(title)s" yet. Nominations close at the end of %(day)s.')
            % {"state": state, "title": offer_title, "day": formats.long_day(deadline, user.language)}
        )
        mail.links(_("Nominate on %(portal)s:") % {"portal": portal}, [(offer_title, url)])
        _footer(mail)
    return subject, mail.text(), mail.html(user.language, subject)


def action_reminder(
    *, user: User, text: str, due_on: date, overdue: bool, state: str, url: str, portal: str, late: datetime | None
) -> Message:
    short = text if len(text) <= 60 else text[:59] + "…"
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        day = formats.day(due_on, user.language)
        if overdue:
            subject = _("Overdue action item: %(text)s") % {"text": short}
            lead = _("This action item of %(state)s was due on %(day)s and is not done yet.")
        else:
            subject = _("Action item due %(day)s: %(text)s") % {"day": day, "text": short}
            lead = _("This action item of %(state)s is due on %(day)s.")
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        _late(mail, late, user)
        mail.para(lead % {"state": state, "day": formats.long_day(due_on, user.language)})
        mail.para(text)
        mail.links(_("Update it on %(portal)s:") % {"portal": portal}, [(_("The meeting's page"), url)])
        _footer(mail)
    return subject, mail.text(), mail.html(user.language, subject)


def update_reminder(
    *, user: User, meeting: Meeting, days: int, state: str, url: str, portal: str, late: datetime | None
) -> Message:
    """Tells a focal point that their state has not posted its written update for a meeting it is invited to."""
    title = meeting.title(user.language)
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        if days == 0:
            subject = _("Written update for %(title)s, today") % {"title": title}
        elif days == 1:
            subject = _("Written update for %(title)s, tomorrow") % {"title": title}
        else:
            subject = ngettext(
                "Written update for %(title)s, in %(days)s day", "Written update for %(title)s, in %(days)s days", days
            ) % {"title": title, "days": days}
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        _late(mail, late, user)
        mail.para(
            _('%(state)s has not posted its written update for "%(title)s" yet.') % {"state": state, "title": title}
        )
        mail.facts([(_("Meeting"), title), (_("When"), _when(meeting, user))])
        mail.links(_("Post it on %(portal)s:") % {"portal": portal}, [(_("The meeting's page"), url)])
        _footer(mail)
    return subject, mail.text(), mail.html(user.language, subject)


def review_reminder(
    *, user: User, meeting: Meeting, items: list[tuple[str, str, date]], url: str, portal: str, late: datetime | None
) -> Message:
    """Lists to a coordinator the overdue action items the next meeting of their body reviews: (state, text, day)."""
    title = meeting.title(user.language)
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        subject = ngettext(
            "%(count)s overdue action item before %(title)s",
            "%(count)s overdue action items before %(title)s",
            len(items),
        ) % {"count": len(items), "title": title}
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        _late(mail, late, user)
        mail.para(_('These action items are overdue; "%(title)s" reviews them.') % {"title": title})
        mail.facts([(_("Meeting"), title), (_("When"), _when(meeting, user))])
        mail.agenda(
            _("Overdue action items"),
            [
                _("%(state)s: %(text)s (due %(day)s)")
                % {"state": state, "text": text, "day": formats.day(due_on, user.language)}
                for state, text, due_on in items
            ],
        )
        mail.links(_("Review them on %(portal)s:") % {"portal": portal}, [(_("The meeting's page"), url)])
        _footer(mail)
    return subject, mail.text(), mail.html(user.language, subject)


def waiting_reminder(
    *,
    user: User,
    subject: str,
    lead: str,
    link: tuple[str, str],
    portal: str,
    late: datetime | None,
) -> Message:
    """Something waiting on the person (a request, candidates, a need): subject and lead already in their language;
    sent once when it starts waiting, then at most weekly."""
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        _late(mail, late, user)
        mail.para(lead)
        mail.links(_("Decide on %(portal)s:") % {"portal": portal}, [link])
        mail.para(_("Until it is settled, this reminder comes back once a week."))
        _footer(mail)
    return subject, mail.text(), mail.html(user.language, subject)


def _footer(mail: _Mail) -> None:
    mail.para(_("You can turn this reminder off on your account page."))


Section = tuple[str, list[tuple[str, str]]]


def digest(*, user: User, period: str, sections: list[Section], portal: str, unsubscribe: str) -> Message:
    """The digest: for each kind of change, its items as labelled links; the unsubscribe link last."""
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        subject = _("What changed on %(portal)s, %(period)s") % {"portal": portal, "period": period}
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        mail.para(_("Here is what changed on %(portal)s that concerns you.") % {"portal": portal})
        for heading, rows in sections:
            mail.links(mail.label(_(heading)), list(rows))
        mail.links(
            _("You receive this digest because of your choices on your account page. To stop it:"),
            [(_("Unsubscribe"), unsubscribe)],
        )
    return subject, mail.text(), mail.html(user.language, subject)
