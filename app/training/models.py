"""Training offers, the nominations states send to them, seat allocation and course outcomes."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Column, Field, SQLModel, Text

from app.core.db import UTCDateTime
from app.core.i18n import N_

OFFER_TRACKS = {"military": N_("Military"), "police": N_("Police"), "civilian": N_("Civilian"), "any": N_("Any track")}
OFFER_STATUSES = {
    "draft": N_("Draft"),
    "published": N_("Published"),
    "closed": N_("Nominations closed"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
NOMINATION_STATUSES = {
    "nominated": N_("Waiting for a decision"),
    "accepted": N_("Accepted"),
    "waitlisted": N_("On the waiting list"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
# What a nomination's history shows for each change: a new status, or a change that keeps the status.
NOMINATION_EVENTS = {
    **NOMINATION_STATUSES,
    "moved": N_("Moved in the order of preference"),
    "promoted": N_("Given a seat from the waiting list"),
    "erased": N_("Personal data erased"),
}
GENDERS = {"woman": N_("Woman"), "man": N_("Man"), "unspecified": N_("Not specified")}
OUTCOMES = {
    "completed": N_("Completed the course"),
    "not_completed": N_("Did not complete"),
    "passed": N_("SAAT passed"),
    "not_passed": N_("SAAT not passed"),
}
LANGUAGES = {"en": N_("English"), "fr": N_("French")}


class CourseType(SQLModel, table=True):
    """A kind of course from the seeded list; `certifies` marks the assessment (SAAT) whose pass certifies."""

    __tablename__ = "course_type"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name_en: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
    certifies: bool = False

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" and self.name_fr else self.name_en


class TrainingOffer(SQLModel, table=True):
    """A course a state or a partner organisation offers to the network's members."""

    __tablename__ = "training_offer"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    course_type_id: int = Field(foreign_key="course_type.id", index=True)
    track: str = Field(max_length=20)
    provider_state_id: int | None = Field(default=None, foreign_key="member_state.id", index=True)
    provider_organisation: str = Field(default="", max_length=120)
    starts_on: date
    ends_on: date
    online: bool = False
    venue_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    city: str = Field(default="", max_length=120)
    languages: str = Field(max_length=40, description="space-separated language codes")
    seats: int
    seats_per_state: int
    eligibility: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    deadline_on: date = Field(description="the last day nominations are taken, in the provider's zone")
    zone: str = Field(max_length=64, description="the provider's zone, where the deadline day ends")
    cost_sharing: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    contact: str = Field(default="", max_length=254)
    status: str = Field(default="draft", max_length=20, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")

    def language_codes(self) -> list[str]:
        return self.languages.split()


class OfferEvent(SQLModel, table=True):
    """A change of an offer's status, appended."""

    __tablename__ = "training_offer_event"

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="training_offer.id", index=True)
    status: str = Field(max_length=20)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")


class Nomination(SQLModel, table=True):
    """A candidate a state puts forward for an offer, in the state's order of preference.

    The candidate's personal data (name, rank, service, languages, notes) is blanked when they are erased;
    state, gender, status and outcome stay so that counts remain."""

    __tablename__ = "nomination"

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="training_offer.id", index=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    preference: int = Field(description="1 is the state's first choice")
    full_name: str = Field(default="", max_length=160)
    rank: str = Field(default="", max_length=80)
    service: str = Field(default="", max_length=120)
    gender: str = Field(max_length=20)
    languages: str = Field(default="", max_length=40)
    notes: str = Field(default="", max_length=1000)
    status: str = Field(default="nominated", max_length=20, index=True)
    reason: str = Field(default="", max_length=500, description="why a nomination was declined")
    waitlisted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    outcome: str = Field(default="", max_length=20)
    outcome_on: date | None = None
    nominated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    nominated_by: int | None = Field(default=None, foreign_key="user_account.id")
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class NominationEvent(SQLModel, table=True):
    """A change to a nomination (one of NOMINATION_EVENTS, or an outcome) and who made it, appended."""

    __tablename__ = "nomination_event"

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    status: str = Field(max_length=20)
    outcome: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")
