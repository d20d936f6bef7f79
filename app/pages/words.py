"""What every template may name beyond core's filters: each domain's labels, zones as people name them, and the
count of what waits for the signed-in person. create_app() installs them in the one Jinja environment."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from sqlalchemy.exc import SQLAlchemyError

from app.auth.models import ROLE_LABELS
from app.capacity.models import AREAS, NEED_STATUSES, NEED_TRACKS, PRIORITIES, SUPPORT_KINDS, SUPPORT_STATUSES
from app.coalitions.models import COALITION_STATUSES
from app.core import clock
from app.core.i18n import current_language
from app.decisions.models import OUTCOMES as DECISION_OUTCOMES
from app.decisions.models import RELATIONS as DECISION_RELATIONS
from app.decisions.models import STATUSES as DECISION_STATUSES
from app.governance.models import MEMBERSHIP_EVENTS, TRACKS
from app.library.models import ACCESS_LEVELS, DOCUMENT_KINDS, DOCUMENT_LANGUAGES
from app.meetings import timing
from app.meetings.models import ACTION_STATUSES, AGENDA_STATUSES, ANSWERS, CADENCES, FORMATS, PARTS, REPEAT_UNITS
from app.members.models import CATEGORIES, PORTFOLIOS, READINESS_LEVELS
from app.notifications import service as notifications
from app.outbox.models import STATUS_LABELS
from app.training.models import GENDERS, NOMINATION_STATUSES, OFFER_STATUSES, OFFER_TRACKS, OUTCOMES

LABELS: dict[str, Any] = {
    "role_labels": ROLE_LABELS,
    "offer_status_labels": OFFER_STATUSES,
    "nomination_status_labels": NOMINATION_STATUSES,
    "gender_labels": GENDERS,
    "outcome_labels": OUTCOMES,
    "offer_track_labels": OFFER_TRACKS,
    "status_labels": STATUS_LABELS,
    "decision_outcome_labels": DECISION_OUTCOMES,
    "decision_status_labels": DECISION_STATUSES,
    "decision_relation_labels": DECISION_RELATIONS,
    "track_labels": TRACKS,
    "event_labels": MEMBERSHIP_EVENTS,
    "category_labels": CATEGORIES,
    "portfolio_labels": PORTFOLIOS,
    "readiness_labels": READINESS_LEVELS,
    "format_labels": FORMATS,
    "cadence_labels": CADENCES,
    "repeat_unit_labels": REPEAT_UNITS,
    "outside_labels": timing.OUTSIDE_REASONS,
    "answer_labels": ANSWERS,
    "part_labels": PARTS,
    "agenda_status_labels": AGENDA_STATUSES,
    "action_status_labels": ACTION_STATUSES,
    "area_labels": AREAS,
    "need_track_labels": NEED_TRACKS,
    "priority_labels": PRIORITIES,
    "need_status_labels": NEED_STATUSES,
    "support_kind_labels": SUPPORT_KINDS,
    "support_status_labels": SUPPORT_STATUSES,
    "coalition_status_labels": COALITION_STATUSES,
    "document_kind_labels": DOCUMENT_KINDS,
    "access_labels": ACCESS_LEVELS,
    "document_language_labels": DOCUMENT_LANGUAGES,
}


def install(env: Environment) -> None:
    """Adds the labels, the zone names and pickers, and the waiting count to the environment."""
    env.globals.update(LABELS)
    env.globals["waiting_count"] = waiting_count
    env.filters["clock"] = timing.clock
    # Zones as people name them: pickers grouped with labels ('Honolulu, United States (UTC-10)'), a zone's name
    # for a code, a date labelled with its place.
    env.globals["zone_groups"] = lambda zones, also=(): timing.zone_groups(zones, current_language.get(), also=also)
    env.filters["zone_name"] = lambda zone: timing.zone_name(zone, current_language.get())
    env.filters["zone_place"] = lambda zone: timing.zone_place(zone, current_language.get())
    env.filters["place_date"] = lambda value, zone, place="": timing.place_date(
        value, zone, current_language.get(), place
    )
    env.filters["same_day"] = lambda value, zone, other: timing.same_day(value, zone, other)


@pass_context
def waiting_count(context: Context) -> int:
    """How many things wait for the signed-in person, counted (one query) only when a page shows the count: none
    for anonymous visitors."""
    user = context.get("user")
    session = getattr(context["request"].state, "db", None)
    if user is None or session is None:
        return 0
    try:
        return notifications.waiting_count(session, user, now=clock.now())
    except SQLAlchemyError:
        # An error page shown because the database fails still shows; without the count.
        return 0
