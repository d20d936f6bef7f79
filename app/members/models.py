"""Member states and territories, their focal points, and their contributions to UN peacekeeping."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import JSON, Column, Field, SQLModel, Text

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_
from app.core.region import STATUSES

CATEGORIES = {
    "troops": N_("Troops"),
    "staff_officers": N_("Staff officers"),
    "military_observers": N_("Military observers"),
    "formed_police_units": N_("Formed police units"),
    "individual_police": N_("Individual police officers"),
    "experts_on_mission": N_("Experts on mission"),
}
PORTFOLIOS = {"defence": N_("Defence"), "police": N_("Police"), "foreign_affairs": N_("Foreign affairs")}
READINESS_LEVELS = {
    "level_1": N_("Level 1"),
    "level_2": N_("Level 2"),
    "level_3": N_("Level 3"),
    "rapid": N_("Rapid deployment level"),
}
DEPLOYMENT_WINDOWS = (30, 60, 90)


class MemberStateBase(SQLModel):
    code: str = Field(max_length=2, unique=True, index=True, description="ISO 3166-1 alpha-2")
    name_en: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
    subregion: str = Field(max_length=20)


class MemberState(MemberStateBase, table=True):
    __tablename__ = "member_state"
    __table_args__ = (one_of("status", STATUSES),)

    id: int | None = Field(default=None, primary_key=True)
    standing: str = Field(default="pif_member", max_length=20)
    status: str = Field(default="state", max_length=20)
    sovereign: str = Field(default="", max_length=2)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    time_zones: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    profile: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    edited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    edited_by: int | None = Field(default=None, description="account id of the last editor")

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en


class FocalPoint(SQLModel, table=True):
    """The details a focal point gives: portfolio and contact. Which state they act for is their account's."""

    __tablename__ = "focal_point"
    __table_args__ = (one_of("portfolio", PORTFOLIOS),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    portfolio: str = Field(max_length=20)
    position: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)


class ContributionReport(SQLModel, table=True):
    """Personnel of one state in UN operations, on one date, in one category. Reports are appended:
    a newer report for the same state, date and category supersedes the older one, which stays."""

    __tablename__ = "contribution_report"
    __table_args__ = (one_of("category", CATEGORIES),)

    id: int | None = Field(default=None, primary_key=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    as_of: date
    category: str = Field(max_length=30)
    men: int = Field(default=0, ge=0)
    women: int = Field(default=0, ge=0)
    unspecified: int = Field(default=0, ge=0)
    source: str = Field(default="", max_length=255)
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")

    @property
    def total(self) -> int:
        return self.men + self.women + self.unspecified


class RegionTotal(SQLModel, table=True):
    """A total for the whole region as a source reports it, without a breakdown."""

    __tablename__ = "region_total"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(unique=True)
    personnel: int = Field(ge=0)
    source: str = Field(default="", max_length=255)


class Pledge(SQLModel, table=True):
    """A capability pledged in the UN Peacekeeping Capability Readiness System (PCRS)."""

    __tablename__ = "pledge"
    __table_args__ = (
        one_of("category", CATEGORIES),
        one_of("readiness", READINESS_LEVELS),
        one_of("deployment_days", DEPLOYMENT_WINDOWS),
    )

    id: int | None = Field(default=None, primary_key=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    capability: str = Field(max_length=200)
    category: str = Field(max_length=30)
    personnel: int = Field(ge=0)
    readiness: str = Field(max_length=20)
    deployment_days: int
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
