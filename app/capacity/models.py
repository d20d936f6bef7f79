"""Capacity-building needs a state records, and the support partners give or plan against them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel, Text

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_, NC_, ContextMessage

AREAS = {
    "training": N_("Training"),
    "equipment": N_("Equipment"),
    "funding": N_("Funding"),
    "infrastructure": N_("Infrastructure"),
    "logistics": N_("Logistics"),
    "knowledge": N_("Knowledge and information sharing"),
    "deployment_support": N_("Deployment support (SAAT clearance, pre-deployment training)"),
    "co_deployment": N_("Co-deployment"),
}
NEED_TRACKS = {"military": N_("Military"), "police": N_("Police"), "civilian": N_("Civilian")}
PRIORITIES = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
PRIORITY_RANK = {key: rank for rank, key in enumerate(PRIORITIES)}  # high first


class NeedStatus(StrEnum):
    open = "open"
    partly_met = "partly_met"
    met = "met"
    withdrawn = "withdrawn"


class SupportKind(StrEnum):
    in_kind = "in_kind"
    funding = "funding"
    trainers = "trainers"
    course_places = "course_places"


class SupportStatus(StrEnum):
    planned = "planned"
    under_way = "under_way"
    completed = "completed"
    cancelled = "cancelled"


NEED_STATUSES: dict[str, ContextMessage] = {
    NeedStatus.open: NC_("need", "Open"),
    NeedStatus.partly_met: NC_("need", "Partly met"),
    NeedStatus.met: NC_("need", "Met"),
    NeedStatus.withdrawn: NC_("need", "Withdrawn"),
}
STILL_NEEDED = ("open", "partly_met")  # the needs that still call for support
SUPPORT_KINDS: dict[str, str] = {
    SupportKind.in_kind: N_("In kind"),
    SupportKind.funding: N_("Funding"),
    SupportKind.trainers: N_("Trainers"),
    SupportKind.course_places: N_("Places on courses"),
}
SUPPORT_STATUSES: dict[str, str] = {
    SupportStatus.planned: NC_("support", "Planned"),
    SupportStatus.under_way: N_("Under way"),
    SupportStatus.completed: NC_("support", "Completed"),
    SupportStatus.cancelled: NC_("support", "Cancelled"),
}


class Need(SQLModel, table=True):
    """A capacity-building need of one state; its status changes are appended to NeedEvent."""

    __tablename__ = "capacity_need"
    __table_args__ = (
        one_of("area", AREAS),
        one_of("track", NEED_TRACKS),
        one_of("priority", PRIORITIES),
        one_of("status", NeedStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    area: str = Field(max_length=30, index=True)
    track: str = Field(max_length=20)
    description: str = Field(sa_column=Column(Text, nullable=False))
    priority: str = Field(max_length=10)
    wanted_by: date | None = None
    status: str = Field(default="open", max_length=20, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")


class NeedEvent(SQLModel, table=True):
    """A need recorded or its status changed, with who did it and why; appended, never rewritten."""

    __tablename__ = "capacity_need_event"
    __table_args__ = (one_of("status", NeedStatus),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="capacity_need.id", index=True)
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")


class Support(SQLModel, table=True):
    """Support a partner (a state or an organisation) gives or plans to one state, for a need or an area."""

    __tablename__ = "capacity_support"
    __table_args__ = (
        one_of("area", AREAS),
        one_of("track", NEED_TRACKS),
        one_of("kind", SupportKind),
        one_of("status", SupportStatus),
        # A state's support, and whether a state is supported in an area (the deconfliction view's gaps), read
        # through this index.
        Index("ix_capacity_support_recipient_state_id_area_status", "recipient_state_id", "area", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_state_id: int | None = Field(default=None, foreign_key="member_state.id", index=True)
    provider_organisation: str = Field(default="", max_length=120)
    recipient_state_id: int = Field(foreign_key="member_state.id")
    need_id: int | None = Field(default=None, foreign_key="capacity_need.id", index=True)
    area: str = Field(max_length=30)
    track: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    amount: int | None = Field(default=None, description="whole units of `currency`, for funding")
    # Not a closed list: funding takes any ISO 4217 code Babel knows, and Babel's list grows with its releases.
    currency: str = Field(default="", max_length=3)
    starts_on: date
    ends_on: date
    status: str = Field(default="planned", max_length=20)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    training_offer_id: int | None = Field(default=None, foreign_key="training_offer.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")


class SupportEvent(SQLModel, table=True):
    """Support recorded or its status changed; appended."""

    __tablename__ = "capacity_support_event"
    __table_args__ = (one_of("status", SupportStatus),)

    id: int | None = Field(default=None, primary_key=True)
    support_id: int = Field(foreign_key="capacity_support.id", index=True)
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")
