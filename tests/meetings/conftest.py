"""Meetings fixtures: a coordinator, the SME body's member states with their focal points, observers, and a
meeting factory. Five states sit in the SME body; Tonga and Vanuatu are not members."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.auth import service as accounts
from app.auth.models import User
from app.core.config import Settings, get_settings
from app.governance import service as governance
from app.governance.models import Body, WorkingGroup
from app.meetings import service
from app.meetings.models import Meeting
from app.members.models import MemberState
from app.outbox.models import OutboxMessage
from tests.factories import make_user, state

MEMBERS = ("FJ", "WS", "CK", "PG", "PW")
OTHERS = ("TO", "VU")
ZONES = {
    "FJ": "Pacific/Fiji",
    "WS": "Pacific/Apia",
    "CK": "Pacific/Rarotonga",
    "PG": "Pacific/Port_Moresby",
    "PW": "Pacific/Palau",
    "TO": "Pacific/Tongatapu",
    "VU": "Pacific/Efate",
}
LINK = "https://meet.example.org/sme"


@dataclass
class Cast:
    """The people of a meeting: `focal` holds one focal point per state code."""

    coordinator: User
    focal: dict[str, User]
    observer: User
    other_observer: User
    states: dict[str, MemberState]


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def sme(session: Session) -> Body:
    found = session.exec(select(Body).where(Body.key == "sme")).first()
    assert found is not None, "seeded body sme missing"
    return found


def working_group(session: Session, settings: Settings, cast: Cast) -> tuple[Settings, WorkingGroup]:
    """The ad hoc option (one with working groups) and a police working group of its network, led by Fiji."""
    adhoc = settings.model_copy(update={"governance_option": "adhoc"})
    group = governance.create_working_group(
        session,
        adhoc,
        user=cast.coordinator,
        body_key="adhoc-network",
        name="Pre-deployment training",
        track="police",
        lead_state_id=cast.states["FJ"].id,
        mandate="",
        member_state_ids=[],
    )
    return adhoc, group


def group_meetings(session: Session, settings: Settings, cast: Cast) -> tuple[Settings, Meeting, Meeting]:
    """The ad hoc option and two meetings of its working group (working_group()), on 13 July and 12 October 2027."""
    adhoc, group = working_group(session, settings, cast)
    july, october = (
        service.create_meeting(
            session, adhoc, user=cast.coordinator, form=form(day=day, body_key="", working_group_id=group.id)
        )
        for day in ("2027-07-13", "2027-10-12")
    )
    return adhoc, july, october


def focal_point(session: Session, code: str, **overrides: Any) -> User:
    """A focal point of the state `code`, living in that state's capital zone."""
    user = make_user(
        session,
        role="focal_point",
        member_state_id=state(session, code).id,
        password=None,
        display_name=overrides.pop("display_name", f"Focal {code}"),
        **overrides,
    )
    accounts.update_preferences(session, user=user, language=user.language, time_zone=ZONES[code])
    return user


@pytest.fixture
def cast(session: Session, settings: Settings) -> Cast:
    coordinator = make_user(session, role="coordinator", display_name="Colin Coordinator", password=None)
    body = sme(session)
    states = {code: state(session, code) for code in (*MEMBERS, *OTHERS)}
    for code in MEMBERS:
        governance.record_membership(session, settings, user=coordinator, body=body, state=states[code])
    return Cast(
        coordinator=coordinator,
        focal={code: focal_point(session, code) for code in (*MEMBERS, *OTHERS)},
        observer=make_user(
            session, role="observer", display_name="Olga Observer", organisation="UN DPO", password=None
        ),
        other_observer=make_user(
            session, role="observer", display_name="Otto Outsider", organisation="ICRC", password=None
        ),
        states=states,
    )


def form(**overrides: Any) -> service.MeetingForm:
    """A virtual SME meeting on Tuesday, 13 July 2027 at 10:00 in Suva, for two hours."""
    fields: dict[str, Any] = {
        "title": "Quarterly SME meeting",
        "day": "2027-07-13",
        "start": "10:00",
        "duration": 120,
        "host_zone": "Pacific/Fiji",
        "format": "virtual",
        "link": LINK,
        "body_key": "sme",
    }
    fields.update(overrides)
    return service.MeetingForm(**fields)


MeetingFactory = Callable[..., Meeting]


@pytest.fixture
def make_meeting(session: Session, settings: Settings, cast: Cast) -> MeetingFactory:
    """Creates a meeting through the service as the coordinator; keyword arguments override the form."""

    def make(**overrides: Any) -> Meeting:
        return service.create_meeting(session, settings, user=cast.coordinator, form=form(**overrides))

    return make


def outbox_for(session: Session, *people: User) -> list[OutboxMessage]:
    """The queued emails addressed to these people, oldest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.recipient).in_([p.email for p in people]))
            .order_by(col(OutboxMessage.id))
        ).all()
    )


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())
