"""Texts of the training emails to focal points, in the recipient's language. They name no candidate: the
details stay on the portal, behind sign-in."""

from __future__ import annotations

from app.auth.models import User
from app.core.i18n import gettext as _
from app.core.i18n import in_language, ngettext
from app.members.models import MemberState
from app.training.models import TrainingOffer


def decisions_message(*, user: User, offer: TrainingOffer, url: str, counts: dict[str, int]) -> tuple[str, str]:
    """The provider's decisions on the recipient's state's nominations, as counts."""
    with in_language(user.language):
        accepted, waitlisted, declined = (counts.get(key, 0) for key in ("accepted", "waitlisted", "declined"))
        lines = [
            ngettext("%(num)d candidate accepted", "%(num)d candidates accepted", accepted) if accepted else "",
            ngettext("%(num)d candidate on the waiting list", "%(num)d candidates on the waiting list", waitlisted)
            if waitlisted
            else "",
            ngettext("%(num)d candidate declined", "%(num)d candidates declined", declined) if declined else "",
        ]
        lines = [line % {"num": n} for line, n in zip(lines, (accepted, waitlisted, declined), strict=True) if line]
        subject = _("Nominations for %(title)s: decisions") % {"title": offer.title}
        body = _(
            'Hello %(name)s,\n\nThe provider of "%(title)s" has decided on your state\'s nominations:\n'
            "%(lines)s\n\nSee who and why on the portal:\n%(url)s"
        ) % {
            "name": user.display_name,
            "title": offer.title,
            "lines": "\n".join(f"- {line}" for line in lines),
            "url": url,
        }
    return subject, body


def promoted_message(*, user: User, offer: TrainingOffer, url: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("A seat for your state on %(title)s") % {"title": offer.title}
        body = _(
            'Hello %(name)s,\n\nA seat has become free on "%(title)s" and one of your state\'s candidates '
            "has moved from the waiting list into the course.\n\nSee the details on the portal:\n%(url)s"
        ) % {"name": user.display_name, "title": offer.title, "url": url}
    return subject, body


def cancelled_message(*, user: User, offer: TrainingOffer, url: str) -> tuple[str, str]:
    with in_language(user.language):
        subject = _("Cancelled: %(title)s") % {"title": offer.title}
        body = _(
            'Hello %(name)s,\n\nThe course "%(title)s", for which your state nominated candidates, has '
            "been cancelled by its provider.\n\n%(url)s"
        ) % {"name": user.display_name, "title": offer.title, "url": url}
    return subject, body


def withdrawn_message(*, user: User, offer: TrainingOffer, url: str, state: MemberState, by: str) -> tuple[str, str]:
    """A candidate of `state` withdrawn by `by`, for the provider (and the state when a coordinator withdrew)."""
    with in_language(user.language):
        subject = _("A candidate withdrawn from %(title)s") % {"title": offer.title}
        body = _(
            'Hello %(name)s,\n\n%(by)s has withdrawn one of the candidates %(state)s nominated for "%(title)s".'
            "\n\nSee the nominations on the portal:\n%(url)s"
        ) % {"name": user.display_name, "by": by, "state": state.name(user.language), "title": offer.title, "url": url}
    return subject, body
