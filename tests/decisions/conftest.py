"""Decisions fixtures: the meetings' cast and factory, and a held SME meeting with its attendance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from app.core.config import Settings
from app.meetings import service as meetings
from app.meetings.models import Meeting
from tests.meetings.conftest import Cast, MeetingFactory, cast, make_meeting, settings  # noqa: F401

# The SME meeting of 13 July 2027 has ended; the October one is still to come.
AFTER = datetime(2027, 7, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def held(session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory) -> Meeting:  # noqa: F811
    """The July meeting, Fiji, Samoa and the Cook Islands present (Papua New Guinea and Palau absent)."""
    meeting = make_meeting()
    meetings.record_attendance(
        session,
        user=cast.coordinator,
        meeting=meeting,
        present_state_ids=[cast.states[code].id for code in ("FJ", "WS", "CK")],  # type: ignore[misc]
    )
    return meeting


@pytest.fixture
def next_meeting(make_meeting: MeetingFactory) -> Meeting:  # noqa: F811
    return make_meeting(day="2027-10-12", title="Quarterly SME meeting (October)")
