"""Capacity fixtures: focal points of Fiji and Samoa, a coordinator, an observer of a partner organisation, and
helpers that record needs and support through the service. Import the helpers from here."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.capacity import service
from app.capacity.models import Need, NeedEvent, Support, SupportEvent
from tests.factories import make_user, state

DPO = "UN Department of Peace Operations"


def day(offset: int) -> str:
    """The date `offset` days from today, as a form would send it."""
    return (date.today() + timedelta(days=offset)).isoformat()


def focal_point(session: Session, code: str, **fields: Any) -> User:
    return make_user(session, role="focal_point", member_state_id=state(session, code).id, password=None, **fields)


def need_form(**changes: Any) -> service.NeedForm:
    """Police SAAT preparation for Fiji, high priority, wanted in three months; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "state": "FJ",
        "area": "training",
        "track": "police",
        "priority": "high",
        "description": "SAAT preparation for 20 police officers",
        "wanted_by": day(90),
    }
    fields.update(changes)
    return service.NeedForm(**fields)


def support_form(**changes: Any) -> service.SupportForm:
    """Trainers for Fiji in the training area, police track, for two weeks from next month."""
    fields: dict[str, Any] = {
        "recipient_state": "FJ",
        "area": "training",
        "track": "police",
        "starts_on": day(30),
        "ends_on": day(44),
        "kind": "trainers",
    }
    fields.update(changes)
    return service.SupportForm(**fields)


def record_need(session: Session, by: User, **changes: Any) -> Need:
    return service.record_need(session, user=by, form=need_form(**changes))


def record_support(session: Session, by: User, **changes: Any) -> Support:
    return service.record_support(session, user=by, form=support_form(**changes))


def past_due(session: Session, need: Need, *, days_ago: int = 1) -> Need:
    """Puts the need's wanted-by date behind us, the way time would."""
    need.wanted_by = date.today() - timedelta(days=days_ago)
    session.add(need)
    session.commit()
    return need


def counts(session: Session) -> dict[str, int]:
    """What a refused request must leave as it was: needs, supports, their histories, the audit log."""
    session.expire_all()

    def count(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    return {
        "needs": count(Need),
        "need events": count(NeedEvent),
        "supports": count(Support),
        "support events": count(SupportEvent),
        "audit": count(AuditEntry),
    }


def statuses(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    return [
        *session.exec(select(Need.id, Need.status).order_by(col(Need.id))).all(),
        *session.exec(select(Support.id, Support.status).order_by(col(Support.id))).all(),
    ]


@pytest.fixture
def coordinator(session: Session) -> User:
    return make_user(session, role="coordinator", password=None, display_name="Network Coordinator")


@pytest.fixture
def fiji(session: Session) -> User:
    """A focal point of Fiji."""
    return focal_point(session, "FJ", display_name="Fiji Focal Point")


@pytest.fixture
def samoa(session: Session) -> User:
    """A focal point of Samoa."""
    return focal_point(session, "WS", display_name="Samoa Focal Point")


@pytest.fixture
def observer(session: Session) -> User:
    """An observer of the UN Department of Peace Operations."""
    return make_user(session, role="observer", password=None, organisation=DPO, display_name="DPO Observer")
