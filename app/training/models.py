"""Training offers, the nominations states send to them, seat allocation and course outcomes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel, Text

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_

OFFER_TRACKS = {"military": N_("Military"), "police": N_("Police"), "civilian": N_("Civilian"), "any": N_("Any track")}


class OfferStatus(StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"
    completed = "completed"
    cancelled = "cancelled"


class NominationStatus(StrEnum):
    nominated = "nominated"
    accepted = "accepted"
    waitlisted = "waitlisted"
    declined = "declined"
    withdrawn = "withdrawn"


class NominationChange(StrEnum):
    """A step of a nomination's history: a new status, or a change that keeps the status."""

    nominated = "nominated"
    accepted = "accepted"
    waitlisted = "waitlisted"
    declined = "declined"
    withdrawn = "withdrawn"
    moved = "moved"
    promoted = "promoted"
    erased = "erased"


class Gender(StrEnum):
    woman = "woman"
    man = "man"
    unspecified = "unspecified"


class Outcome(StrEnum):
    completed = "completed"
    not_completed = "not_completed"
    passed = "passed"
    not_passed = "not_passed"


OFFER_STATUSES: dict[str, str] = {
    OfferStatus.draft: N_("Draft"),
    OfferStatus.published: N_("Published"),
    OfferStatus.closed: N_("Nominations closed"),
    OfferStatus.completed: N_("Completed"),
    OfferStatus.cancelled: N_("Cancelled"),
}
NOMINATION_STATUSES: dict[str, str] = {
    NominationStatus.nominated: N_("Waiting for a decision"),
    NominationStatus.accepted: N_("Accepted"),
    NominationStatus.waitlisted: N_("On the waiting list"),
    NominationStatus.declined: N_("Declined"),
    NominationStatus.withdrawn: N_("Withdrawn"),
}
# What a nomination's history shows for each change.
NOMINATION_EVENTS: dict[str, str] = {
    **NOMINATION_STATUSES,
    NominationChange.moved: N_("Moved in the order of preference"),
    NominationChange.promoted: N_("Given a seat from the waiting list"),
    NominationChange.erased: N_("Personal data erased"),
}
GENDERS: dict[str, str] = {Gender.woman: N_("Woman"), Gender.man: N_("Man"), Gender.unspecified: N_("Not specified")}
OUTCOMES: dict[str, str] = {
    Outcome.completed: N_("Completed the course"),
    Outcome.not_completed: N_("Did not complete"),
    Outcome.passed: N_("SAAT passed"),
    Outcome.not_passed: N_("SAAT not passed"),
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
    __table_args__ = (one_of("track", OFFER_TRACKS), one_of("status", OfferStatus))

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
    __table_args__ = (one_of("status", OfferStatus),)

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
    __table_args__ = (
        one_of("gender", Gender),
        one_of("status", NominationStatus),
        one_of("outcome", Outcome, empty=True),
        # The certified officers' page counts each state's passes: it reads only those through this index.
        Index("ix_nomination_outcome_state_id", "outcome", "state_id"),
    )

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
    __table_args__ = (one_of("status", NominationChange), one_of("outcome", Outcome, empty=True))

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    status: str = Field(max_length=20)
    outcome: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")


class NominationTally(SQLModel, table=True):
    """How many nominations there are per year of the course's first day, nominating state, status and gender, for
    the reports: offers published, closed or completed, nominations not withdrawn. Kept in step with the nominations
    and offers in the transaction that changes them (training.tallies), so the reports read a few hundred rows
    however many years of courses there are."""

    __tablename__ = "nomination_tally"
    __table_args__ = (
        one_of("status", NominationStatus),
        one_of("gender", Gender),
        UniqueConstraint(
            "year", "state_id", "status", "gender", name="uq_nomination_tally_year_state_id_status_gender"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int
    state_id: int = Field(foreign_key="member_state.id")
    status: str = Field(max_length=20)
    gender: str = Field(max_length=20)
    nominations: int


class OfferTally(SQLModel, table=True):
    """How many nominations an offer has per status and gender, withdrawn ones included, for the catalogue's shares
    of women. Kept in step with the nominations in the transaction that changes them (training.tallies), so the
    catalogue sums a few rows per listed offer rather than every nomination of every listed offer."""

    __tablename__ = "offer_tally"
    __table_args__ = (
        one_of("status", NominationStatus),
        one_of("gender", Gender),
        UniqueConstraint("offer_id", "status", "gender", name="uq_offer_tally_offer_id_status_gender"),
    )

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="training_offer.id")
    status: str = Field(max_length=20)
    gender: str = Field(max_length=20)
    nominations: int
