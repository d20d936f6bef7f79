"""Texts of the meeting emails, in the recipient's language, with the time in their own zone and the host's.

An invitation (or its change, or its cancellation) is written once as blocks, then rendered twice from them: plain
text and a small HTML alternative (escaped, no style sheet, no image, nothing fetched), so both always say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from app.auth.models import User
from app.core.i18n import gettext as _
from app.core.i18n import in_language
from app.meetings.models import FORMATS, AgendaItem, Meeting
from app.meetings.timing import describe

ARROW = "→"


@dataclass(frozen=True)
class Facts:
    """What an invitation says about a meeting; taken before a change, so that the change email can say what
    changed (before → after)."""

    title_en: str
    title_fr: str
    starts_at: datetime
    host_zone: str
    format: str
    venue: str
    city: str
    link: str

    @classmethod
    def of(cls, meeting: Meeting) -> Facts:
        return cls(
            title_en=meeting.title_en,
            title_fr=meeting.title_fr,
            starts_at=meeting.starts_at,
            host_zone=meeting.host_zone,
            format=meeting.format,
            venue=meeting.venue,
            city=meeting.city,
            link=meeting.link,
        )

    def title(self, language: str) -> str:
        return self.title_fr if language == "fr" and self.title_fr else self.title_en

    def place(self) -> str:
        return ", ".join(part for part in (self.venue, self.city) if part)


@dataclass(frozen=True)
class AnswerLinks:
    """The two one-click answers of one invitation email."""

    attend: str
    decline: str


@dataclass(frozen=True)
class Details:
    """What the sender knows of one recipient's view of the meeting: the agenda items they may read (and how many
    they may not), the name of the body or working group, the one-click answers, and the meeting before a change."""

    owner: str = ""
    agenda: Sequence[AgendaItem] = ()
    members_only_items: int = 0
    links: AnswerLinks | None = None
    before: Facts | None = None


Rows = list[tuple[str, ...]]


@dataclass
class _Mail:
    """An email as blocks, each (kind, heading or text, rows): paragraphs, labelled facts, changes (label, before,
    after), a numbered agenda and labelled links."""

    colon: str = "%(label)s:"
    blocks: list[tuple[str, str, Rows]] = field(default_factory=list)

    def label(self, text: str) -> str:
        """A label followed by a colon, as the language writes it (French puts a space before it)."""
        return self.colon % {"label": text}

    def para(self, text: str) -> None:
        self.blocks.append(("p", text, []))

    def facts(self, rows: Rows) -> None:
        self.blocks.append(("facts", "", [row for row in rows if row[1]]))

    def changes(self, heading: str, rows: Rows) -> None:
        self.blocks.append(("changes", heading, rows))

    def agenda(self, heading: str, lines: list[str]) -> None:
        self.blocks.append(("agenda", heading, [(line,) for line in lines]))

    def links(self, heading: str, rows: Rows) -> None:
        self.blocks.append(("links", heading, rows))

    def text(self) -> str:
        parts: list[str] = []
        for kind, heading, rows in self.blocks:
            if kind == "p":
                parts.append(heading)
            elif kind == "facts":
                parts.append("\n".join(f"{self.label(label)} {value}" for label, value in rows))
            elif kind == "changes":
                parts.append(
                    "\n".join([heading, *(f"- {self.label(label)} {old} {ARROW} {new}" for label, old, new in rows)])
                )
            elif kind == "agenda":
                parts.append("\n".join([heading, *(f"{n}. {line}" for n, (line,) in enumerate(rows, start=1))]))
            elif kind == "links":
                parts.append("\n".join([heading, *(f"{self.label(label)} {url}" for label, url in rows)]))
        return "\n\n".join(parts) + "\n"

    def html(self, language: str, title: str) -> str:
        """The same blocks as HTML: every value escaped, no style sheet, no image, nothing to fetch."""
        parts: list[Markup] = []
        for kind, heading, rows in self.blocks:
            if kind == "p":
                parts.append(Markup("<p>%s</p>") % heading)
            elif kind == "facts":
                cells = Markup("").join(
                    Markup('<tr><th align="left" valign="top">%s</th><td>%s</td></tr>')
                    % (label, Markup('<a href="%s">%s</a>') % (value, value) if value.startswith("https://") else value)
                    for label, value in rows
                )
                parts.append(Markup('<table cellpadding="4" cellspacing="0">%s</table>') % cells)
            elif kind == "changes":
                items = Markup("").join(
                    Markup("<li><strong>%s</strong> <s>%s</s> %s <strong>%s</strong></li>")
                    % (self.label(label), old, ARROW, new)
                    for label, old, new in rows
                )
                parts.append(Markup("<h2>%s</h2><ul>%s</ul>") % (heading, items))
            elif kind == "agenda":
                items = Markup("").join(Markup("<li>%s</li>") % line for (line,) in rows)
                parts.append(Markup("<h2>%s</h2><ol>%s</ol>") % (heading, items))
            elif kind == "links":
                items = Markup("").join(
                    Markup('<li><a href="%s"><strong>%s</strong></a></li>') % (url, label) for label, url in rows
                )
                parts.append(Markup("<p>%s</p><ul>%s</ul>") % (heading, items))
        page = Markup(
            '<!DOCTYPE html><html lang="%s"><head><meta charset="utf-8"><title>%s</title></head>'
            "<body>%s</body></html>\n"
        )
        return str(page % (language, title, Markup("\n").join(parts)))


def _when(meeting: Meeting | Facts, user: User) -> str:
    return _("%(own)s (your time); %(host)s at the host") % {
        "own": describe(meeting.starts_at, user.time_zone, user.language),
        "host": describe(meeting.starts_at, meeting.host_zone, user.language),
    }


def _format(value: str) -> str:
    return _(FORMATS[value]) if value in FORMATS else value


def _changes(before: Facts, after: Facts, user: User) -> Rows:
    """Each fact that differs, as (label, before, after), in the recipient's language and zones."""
    language, none = user.language, _("(none)")
    pairs = [
        (_("Title"), before.title(language), after.title(language)),
        (
            _("Your time"),
            describe(before.starts_at, user.time_zone, language),
            describe(after.starts_at, user.time_zone, language),
        ),
        (
            _("Host time"),
            describe(before.starts_at, before.host_zone, language),
            describe(after.starts_at, after.host_zone, language),
        ),
        (_("Format"), _format(before.format), _format(after.format)),
        (_("Venue"), before.place(), after.place()),
        (_("Link"), before.link, after.link),
    ]
    return [(label, old or none, new or none) for label, old, new in pairs if old != new]


def _agenda_lines(items: Sequence[AgendaItem]) -> list[str]:
    lines = []
    for item in items:
        minutes = _("%(minutes)s min") % {"minutes": item.duration_minutes}
        lines.append(f"{item.title} ({item.presenter}, {minutes})" if item.presenter else f"{item.title} ({minutes})")
    return lines


def meeting_message(
    *,
    user: User,
    meeting: Meeting,
    title: str,
    url: str,
    portal: str,
    first: bool = True,
    details: Details | None = None,
) -> tuple[str, str, str]:
    """The invitation, its update after a change (to someone already invited), or the cancellation: the subject,
    the plain text and the HTML alternative."""
    details = details or Details()
    now = Facts.of(meeting)
    with in_language(user.language):
        mail = _Mail(colon=_("%(label)s:"))
        mail.para(_("Hello %(name)s,") % {"name": user.display_name})
        if meeting.cancelled:
            subject = _("Cancelled: %(title)s") % {"title": title}
            was = details.before or now
            mail.para(
                _('The meeting "%(title)s" planned for %(when)s is cancelled.')
                % {"title": was.title(user.language), "when": _when(was, user)}
            )
            mail.facts([(_("Format"), _format(was.format)), (_("Venue"), was.place())])
            mail.links(_("The meeting's page on %(portal)s:") % {"portal": portal}, [(title, url)])
            return subject, mail.text(), mail.html(user.language, subject)
        if meeting.ics_sequence and not first:
            subject = _("Changed: %(title)s") % {"title": title}
            mail.para(_('The meeting "%(title)s" has changed.') % {"title": title})
            changed = _changes(details.before, now, user) if details.before else []
            if changed:
                mail.changes(_("Changed:"), changed)
        else:
            subject = _("Invitation: %(title)s") % {"title": title}
            mail.para(_('You are invited to "%(title)s".') % {"title": title})
        mail.facts(
            [
                (_("Meeting"), title),
                (_("Convened by"), details.owner),
                (_("When"), _when(meeting, user)),
                (_("Format"), _format(meeting.format)),
                (_("Venue"), now.place() if meeting.format != "virtual" else ""),
                (_("Link"), meeting.link if meeting.format != "in_person" else ""),
            ]
        )
        if details.agenda:
            mail.agenda(_("Agenda"), _agenda_lines(details.agenda))
        if details.members_only_items:
            mail.para(_("Some parts of the agenda are for the members only."))
        if details.links:
            mail.links(
                _("Answer with one click, no sign-in needed (the links work until the meeting ends):"),
                [(_("I will attend"), details.links.attend), (_("I will not attend"), details.links.decline)],
            )
        mail.links(
            _("Read the agenda and answer on %(portal)s:") % {"portal": portal}, [(_("The meeting's page"), url)]
        )
    return subject, mail.text(), mail.html(user.language, subject)


def agenda_message(*, user: User, meeting: Meeting, title: str, url: str, portal: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("Agenda circulated: %(title)s") % {"title": title}
        body = _(
            'Hello %(name)s,\n\nThe agenda of "%(title)s" (%(when)s) has been circulated on %(portal)s:\n%(url)s'
        ) % {"name": user.display_name, "title": title, "when": _when(meeting, user), "portal": portal, "url": url}
    return subject, body
