"""Bodies, voluntary membership, chairs, working groups, and the history of the governance option."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel, Text

from app.core.choices import one_of
from app.core.config import GOVERNANCE_OPTIONS
from app.core.db import UTCDateTime
from app.core.i18n import N_

TRACKS = {"military": N_("Military"), "police": N_("Police"), "joint": N_("Joint")}


class MembershipStep(StrEnum):
    join_requested = "join_requested"
    joined = "joined"
    join_declined = "join_declined"
    withdrawal_requested = "withdrawal_requested"
    withdrawn = "withdrawn"
    withdrawal_declined = "withdrawal_declined"


MEMBERSHIP_EVENTS: dict[str, str] = {
    MembershipStep.join_requested: N_("asked to join"),
    MembershipStep.joined: N_("joined"),
    MembershipStep.join_declined: N_("request to join declined"),
    MembershipStep.withdrawal_requested: N_("asked to withdraw"),
    MembershipStep.withdrawn: N_("withdrew"),
    MembershipStep.withdrawal_declined: N_("request to withdraw declined"),
}


class BodyKind(StrEnum):
    """Regional bodies exist whatever the option and are not joined through the portal; network bodies are joined
    voluntarily."""

    regional = "regional"
    network = "network"


class WorkingGroupChange(StrEnum):
    added = "added"
    removed = "removed"


class Body(SQLModel, table=True):
    """A regional body, or a network body that states join voluntarily; loaded from seeds/."""

    __tablename__ = "body"
    __table_args__ = (one_of("kind", BodyKind), one_of("track", TRACKS, empty=True))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True, index=True)
    kind: str = Field(max_length=10)
    parent_key: str = Field(default="", max_length=40)
    track: str = Field(default="", max_length=10)
    acronym: str = Field(default="", max_length=20)
    name_en: str = Field(max_length=160)
    name_fr: str = Field(max_length=160)

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en


class MembershipEvent(SQLModel, table=True):
    """One step in a state's membership of a body. Appended, never changed: the latest decides.

    `seq` numbers the steps of one (body, state) history from 1; each step takes the number after the one it follows,
    so two steps taken at once from the same standing (two identical requests) cannot both be recorded."""

    __tablename__ = "membership_event"
    __table_args__ = (
        Index("uq_membership_event_body_id_state_id_seq", "body_id", "state_id", "seq", unique=True),
        one_of("kind", MembershipStep),
    )

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    seq: int
    kind: str = Field(max_length=30)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    note: str = Field(default="", max_length=500)


class ChairTerm(SQLModel, table=True):
    """Who chairs a body from a date: the rotation is recorded, one row per term."""

    __tablename__ = "chair_term"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    state_id: int = Field(foreign_key="member_state.id")
    starts_on: date
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    note: str = Field(default="", max_length=500)


class WorkingGroup(SQLModel, table=True):
    __tablename__ = "working_group"
    __table_args__ = (one_of("track", TRACKS),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    name: str = Field(max_length=160)
    track: str = Field(max_length=10)
    lead_state_id: int = Field(foreign_key="member_state.id")
    mandate: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    archived_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class WorkingGroupEvent(SQLModel, table=True):
    """A state added to or removed from a working group; appended, the latest decides."""

    __tablename__ = "working_group_event"
    __table_args__ = (one_of("kind", WorkingGroupChange),)

    id: int | None = Field(default=None, primary_key=True)
    working_group_id: int = Field(foreign_key="working_group.id", index=True)
    state_id: int = Field(foreign_key="member_state.id")
    kind: str = Field(max_length=10)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")


class OptionSwitch(SQLModel, table=True):
    """The governance option the portal started with, recorded each time it changed."""

    __tablename__ = "option_switch"
    __table_args__ = (one_of("option", GOVERNANCE_OPTIONS), one_of("previous", GOVERNANCE_OPTIONS, empty=True))

    id: int | None = Field(default=None, primary_key=True)
    option: str = Field(max_length=20)
    previous: str = Field(default="", max_length=20)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
