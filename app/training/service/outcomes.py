"""After the course: outcomes, erasure of a candidate's details, a nomination's history and the list of
nominations."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core import clock
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, NotFound
from app.core.exports import safe_cell
from app.core.forms import parse_day
from app.core.i18n import N_, in_language
from app.core.i18n import gettext as _
from app.members.models import MemberState
from app.training.models import (
    GENDERS,
    LANGUAGES,
    NOMINATION_STATUSES,
    OUTCOMES,
    CourseType,
    Nomination,
    NominationEvent,
    TrainingOffer,
)
from app.training.service.allocation import record_nomination_change
from app.training.service.rules import COURSE_OUTCOMES, SAAT_OUTCOMES, nominations, require_manager, sees_candidate


def outcomes_for(session: Session, offer: TrainingOffer) -> tuple[str, ...]:
    kind = session.get(CourseType, offer.course_type_id)
    return SAAT_OUTCOMES + COURSE_OUTCOMES if kind and kind.certifies else COURSE_OUTCOMES


def record_outcomes(session: Session, *, user: User, offer: TrainingOffer, outcomes: dict[int, tuple[str, str]]) -> int:
    """Records each accepted candidate's outcome and its date (outcomes left empty are left as they were)."""
    require_manager(user, offer)
    if offer.status not in ("closed", "completed"):
        raise Conflict(N_("Outcomes are recorded once nominations are closed."))
    allowed = outcomes_for(session, offer)
    accepted = {id_of(n): n for n in nominations(session, id_of(offer), ("accepted",))}
    today = clock.today(offer.zone)
    changed = 0
    for key, (outcome, on) in outcomes.items():
        if not outcome:
            continue
        nomination = accepted.get(key)
        if nomination is None:
            raise Conflict(N_("Outcomes are recorded only for accepted candidates."))
        if outcome not in allowed:
            raise DomainError(N_("Choose an outcome from the list."))
        day = parse_day(on, N_("Give the date of each outcome."))
        if day > today or day < offer.starts_on:
            raise DomainError(N_("An outcome's date falls between the course's first day and today."))
        if (nomination.outcome, nomination.outcome_on) == (outcome, day):
            continue
        before = audit.snapshot(nomination, ("outcome", "outcome_on"))
        nomination.outcome, nomination.outcome_on = outcome, day
        session.add(nomination)
        record_nomination_change(
            session,
            nomination,
            "accepted",
            user,
            before=before,
            after=audit.snapshot(nomination, ("outcome", "outcome_on")),
            outcome=outcome,
            note=day.isoformat(),
        )
        changed += 1
    audit.record(
        session,
        actor_id=user.id,
        action="outcomes",
        entity="training_offer",
        entity_id=offer.id,
        after={"changed": changed},
    )
    session.commit()
    return changed


def erase(session: Session, *, user: User, nomination: Nomination, offer: TrainingOffer) -> None:
    """Removes the candidate's personal data; their state, gender, status and outcome stay as counts."""
    if not sees_candidate(user, offer, nomination):
        raise NotFound(N_("No such nomination."))
    if nomination.erased_at is not None:
        return
    nomination.full_name = nomination.rank = nomination.service = nomination.languages = nomination.notes = ""
    nomination.reason = ""
    nomination.erased_at = clock.now()
    session.add(nomination)
    for event in session.exec(select(NominationEvent).where(NominationEvent.nomination_id == nomination.id)).all():
        if event.status == "declined":
            event.note = ""
            session.add(event)
    record_nomination_change(session, nomination, "erased", user)
    session.commit()


def history(session: Session, nomination: Nomination) -> list[tuple[NominationEvent, str | None]]:
    """The nomination's changes, oldest first, with the name of who made each."""
    rows = session.exec(
        select(NominationEvent, User.display_name)
        .outerjoin(User, col(User.id) == NominationEvent.by)
        .where(NominationEvent.nomination_id == nomination.id)
        .order_by(col(NominationEvent.at), col(NominationEvent.id))
    ).all()
    return [(event, name) for event, name in rows]


def nominations_csv(session: Session, *, user: User, offer: TrainingOffer, language: str) -> str:
    """The offer's nominations as CSV for the provider; cells that a spreadsheet would run as formulas are quoted."""
    require_manager(user, offer)
    names = {s.id: s.name(language) for s in session.exec(select(MemberState)).all()}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with in_language(language):
        writer.writerow(
            [
                _("State"),
                _("Preference"),
                _("Full name"),
                _("Rank or grade"),
                _("Service"),
                _("Gender"),
                _("Languages"),
                _("Notes"),
                _("Status"),
                _("Reason"),
                _("Outcome"),
                _("Outcome date"),
            ]
        )
        for n in nominations(session, id_of(offer)):
            writer.writerow(
                [
                    safe_cell(cell)
                    for cell in (
                        names.get(n.state_id, ""),
                        n.preference,
                        n.full_name,
                        n.rank,
                        n.service,
                        _(GENDERS[n.gender]),
                        " ".join(_(LANGUAGES[c]) for c in n.languages.split() if c in LANGUAGES),
                        n.notes,
                        _(NOMINATION_STATUSES[n.status]),
                        n.reason,
                        _(OUTCOMES[n.outcome]) if n.outcome else "",
                        n.outcome_on.isoformat() if n.outcome_on else "",  # ISO: data for a spreadsheet
                    )
                ]
            )
    return buffer.getvalue()
