"""Country coalitions: partners rallying around one state's needs, led by that state's focal points."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Column, Field, SQLModel, Text, UniqueConstraint

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_


class CoalitionStatus(StrEnum):
    active = "active"
    closed = "closed"


COALITION_STATUSES: dict[str, str] = {CoalitionStatus.active: N_("Active"), CoalitionStatus.closed: N_("Closed")}
# The rows the partial unique indexes of coalition_partner cover: current partner states, current organisations.
CURRENT_STATE = "left_at IS NULL AND partner_state_id IS NOT NULL"
CURRENT_ORGANISATION = "left_at IS NULL AND partner_state_id IS NULL"


class Coalition(SQLModel, table=True):
    """A coalition around one state's needs."""

    __tablename__ = "coalition"
    __table_args__ = (one_of("status", CoalitionStatus),)

    id: int | None = Field(default=None, primary_key=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    title: str = Field(max_length=200)
    purpose: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="active", max_length=20)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")


class CoalitionPartner(SQLModel, table=True):
    """A partner state or organisation in a coalition, from when it joined until it left.

    A partner is in a coalition once at a time: a state (or an organisation, by its name) has at most one row without
    `left_at` per coalition; after leaving it may join again in a new row."""

    __tablename__ = "coalition_partner"
    __table_args__ = (
        Index(
            "uq_coalition_partner_current_state",
            "coalition_id",
            "partner_state_id",
            unique=True,
            sqlite_where=text(CURRENT_STATE),
            postgresql_where=text(CURRENT_STATE),
        ),
        Index(
            "uq_coalition_partner_current_organisation",
            "coalition_id",
            "organisation",
            unique=True,
            sqlite_where=text(CURRENT_ORGANISATION),
            postgresql_where=text(CURRENT_ORGANISATION),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    coalition_id: int = Field(foreign_key="coalition.id", index=True)
    partner_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    organisation: str = Field(default="", max_length=120)
    joined_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    joined_by: int | None = Field(default=None, foreign_key="user_account.id")
    left_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class CoalitionNeed(SQLModel, table=True):
    """A need of the coalition's state that the coalition works on."""

    __tablename__ = "coalition_need"
    __table_args__ = (UniqueConstraint("coalition_id", "need_id", name="uq_coalition_need_coalition_id_need_id"),)

    id: int | None = Field(default=None, primary_key=True)
    coalition_id: int = Field(foreign_key="coalition.id", index=True)
    need_id: int = Field(foreign_key="capacity_need.id")
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    added_by: int | None = Field(default=None, foreign_key="user_account.id")


class CoalitionMeeting(SQLModel, table=True):
    """A meeting (of the meetings feature) held by a coalition."""

    __tablename__ = "coalition_meeting"

    id: int | None = Field(default=None, primary_key=True)
    coalition_id: int = Field(foreign_key="coalition.id", index=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)


class CoalitionProgress(SQLModel, table=True):
    """An entry in a coalition's progress history (dialogue between meetings, results); appended."""

    __tablename__ = "coalition_progress"

    id: int | None = Field(default=None, primary_key=True)
    coalition_id: int = Field(foreign_key="coalition.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")
