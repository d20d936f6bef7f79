"""Texts of the membership emails, in the recipient's language: a request to the coordinators, and their answer
to the requesting state's focal points."""

from __future__ import annotations

from app.auth.models import User
from app.core.i18n import N_, in_language
from app.core.i18n import gettext as _
from app.governance.models import Body, MembershipEvent
from app.members.models import MemberState

REQUEST_SUBJECTS = {
    "join_requested": N_("%(state)s asks to join %(body)s"),
    "withdrawal_requested": N_("%(state)s asks to withdraw from %(body)s"),
}
REQUEST_LINES = {
    "join_requested": N_("%(person)s asks for %(state)s to join %(body)s."),
    "withdrawal_requested": N_("%(person)s asks for %(state)s to withdraw from %(body)s."),
}
DECISION_SUBJECTS = {
    "joined": N_("%(state)s has joined %(body)s"),
    "join_declined": N_("%(body)s: the request of %(state)s to join is declined"),
    "withdrawn": N_("%(state)s has withdrawn from %(body)s"),
    "withdrawal_declined": N_("%(body)s: the request of %(state)s to withdraw is declined"),
}
DECISION_LINES = {
    "joined": N_("The request of %(state)s to join %(body)s has been confirmed: %(state)s is now a member."),
    "join_declined": N_("The request of %(state)s to join %(body)s has been declined."),
    "withdrawn": N_(
        "The request of %(state)s to withdraw from %(body)s has been confirmed: %(state)s is no longer a member."
    ),
    "withdrawal_declined": N_(
        "The request of %(state)s to withdraw from %(body)s has been declined: %(state)s remains a member."
    ),
}


def request_message(
    *, user: User, person: str, state: MemberState, body: Body, event: MembershipEvent, url: str
) -> tuple[str, str]:
    """Tells a coordinator that a state asks to join or withdraw, and where to decide."""
    with in_language(user.language):
        words = {"state": state.name(user.language), "body": body.name(user.language), "person": person}
        subject = _(REQUEST_SUBJECTS[event.kind]) % words
        lines = [_("Hello %(name)s,") % {"name": user.display_name}, _(REQUEST_LINES[event.kind]) % words]
        if event.note:
            lines.append(_("Their note: %(note)s") % {"note": event.note})
        lines.append(_("Confirm or decline the request on the portal:") + "\n" + url)
    return subject, "\n\n".join(lines)


def decision_message(
    *, user: User, coordinator: str, state: MemberState, body: Body, event: MembershipEvent, url: str
) -> tuple[str, str]:
    """Tells a focal point how their state's request was answered, with the coordinator's note if any."""
    with in_language(user.language):
        words = {"state": state.name(user.language), "body": body.name(user.language)}
        subject = _(DECISION_SUBJECTS[event.kind]) % words
        lines = [_("Hello %(name)s,") % {"name": user.display_name}, _(DECISION_LINES[event.kind]) % words]
        if event.note:
            lines.append(_("Note from %(coordinator)s: %(note)s") % {"coordinator": coordinator, "note": event.note})
        lines.append(_("See the body and its members on the portal:") + "\n" + url)
    return subject, "\n\n".join(lines)
