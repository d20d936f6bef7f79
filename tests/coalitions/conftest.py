"""Coalition fixtures: a coordinator, focal points of Fiji (the state supported), New Zealand (a partner) and
Samoa (neither), and Fiji's needs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.auth.models import User
from app.capacity import service as capacity
from app.capacity.models import Need
from app.coalitions import service
from app.coalitions.models import Coalition
from tests.factories import make_user, state


@dataclass
class People:
    coordinator: User
    fiji: User
    new_zealand: User
    samoa: User
    observer: User


@pytest.fixture
def people(session: Session) -> People:
    return People(
        coordinator=make_user(session, role="coordinator", password=None, display_name="Coordinator"),
        fiji=make_user(
            session, role="focal_point", member_state_id=state(session, "FJ").id, password=None, display_name="Fiji FP"
        ),
        new_zealand=make_user(
            session, role="focal_point", member_state_id=state(session, "NZ").id, password=None, display_name="NZ FP"
        ),
        samoa=make_user(
            session, role="focal_point", member_state_id=state(session, "WS").id, password=None, display_name="Samoa FP"
        ),
        observer=make_user(session, role="observer", password=None, organisation="UN DPO", display_name="DPO"),
    )


def need_of(
    session: Session,
    user: User,
    *,
    area: str = "training",
    state_code: str = "",
    description: str = "Pre-deployment training for 20 police officers",
) -> Need:
    return capacity.record_need(
        session,
        user=user,
        form=capacity.NeedForm(area=area, track="police", description=description, priority="high", state=state_code),
    )


@pytest.fixture
def fiji_needs(session: Session, people: People) -> list[Need]:
    return [
        need_of(session, people.fiji),
        need_of(session, people.fiji, area="equipment", description="Radios for a formed police unit"),
    ]


@pytest.fixture
def coalition(session: Session, people: People) -> Coalition:
    """Fiji's coalition with New Zealand and an organisation as partners."""
    return service.convene(
        session,
        user=people.coordinator,
        state_id=state(session, "FJ").id,
        title="Fiji police deployment coalition",
        purpose="Prepare officers for SAAT",
        partner_state_ids=[state(session, "NZ").id],
        organisations="UN DPO",
    )
