"""Training fixtures: Fiji's focal point who provides courses, a coordinator, a valid offer form with future dates,
and an offer Fiji has published. Import `offer_form` from here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.auth.models import User
from app.core.config import get_settings
from app.training import service
from app.training.models import TrainingOffer
from tests.factories import make_user, state


def offer_form(**changes: Any) -> service.OfferForm:
    """A police SAAT course in Nadi, Fiji, starting in six weeks: 6 seats, 2 per state, nominations until ten
    days before; keyword arguments replace fields."""
    first_day = date.today() + timedelta(days=42)
    fields: dict[str, Any] = {
        "title": "SAAT preparation, Nadi",
        "course_type": "saat-preparation",
        "track": "police",
        "starts_on": first_day.isoformat(),
        "ends_on": (first_day + timedelta(days=4)).isoformat(),
        "deadline_on": (first_day - timedelta(days=10)).isoformat(),
        "seats": 6,
        "seats_per_state": 2,
        "languages": ["en"],
        "online": False,
        "venue_state": "FJ",
        "city": "Nadi",
        "provider_state": "FJ",
        "zone": "Pacific/Fiji",
    }
    fields.update(changes)
    return service.OfferForm(**fields)


@pytest.fixture
def provider(session: Session) -> User:
    """A focal point of Fiji, the state that provides the courses."""
    return make_user(
        session,
        role="focal_point",
        member_state_id=state(session, "FJ").id,
        password=None,
        display_name="Fiji Provider",
    )


@pytest.fixture
def coordinator(session: Session) -> User:
    return make_user(session, role="coordinator", password=None, display_name="Network Coordinator")


@pytest.fixture
def published_offer(session: Session, provider: User) -> TrainingOffer:
    """The course of `offer_form()`, offered by Fiji's focal point and published."""
    offer = service.create_offer(session, user=provider, form=offer_form())
    service.set_status(session, get_settings(), user=provider, offer=offer, status="published")
    return offer


def course_on(session: Session, provider: User, first_day: date) -> TrainingOffer:
    """A course of `offer_form()` whose first day is `first_day` (four days long, nominations until the 1st of that
    month), offered by `provider` and published."""
    offer = service.create_offer(
        session,
        user=provider,
        form=offer_form(
            starts_on=first_day.isoformat(),
            ends_on=(first_day + timedelta(days=3)).isoformat(),
            deadline_on=first_day.replace(day=1).isoformat(),
        ),
    )
    service.set_status(session, get_settings(), user=provider, offer=offer, status="published")
    return offer
