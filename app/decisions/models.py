"""Decisions of meetings, their reservations, their history of corrections and the action items that carry them out.

A decision's row holds its current wording; every recording and correction also appends a DecisionVersion with
the whole of what it said then, so nothing recorded is ever lost."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel, Text, UniqueConstraint

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_
from app.meetings.models import Part


class DecisionOutcome(StrEnum):
    consensus = "consensus"
    reservations = "reservations"
    deferred = "deferred"
    withdrawn = "withdrawn"
    vote = "vote"


class DecisionStatus(StrEnum):
    in_force = "in_force"
    superseded = "superseded"
    deferred = "deferred"
    withdrawn = "withdrawn"


class Relation(StrEnum):
    amends = "amends"
    supersedes = "supersedes"


class VersionKind(StrEnum):
    recorded = "recorded"
    corrected = "corrected"


OUTCOMES: dict[str, str] = {
    DecisionOutcome.consensus: N_("Consensus"),
    DecisionOutcome.reservations: N_("Consensus with reservations"),
    DecisionOutcome.deferred: N_("No consensus: deferred"),
    DecisionOutcome.withdrawn: N_("Withdrawn"),
    DecisionOutcome.vote: N_("Vote"),
}
STATUSES: dict[str, str] = {
    DecisionStatus.in_force: N_("In force"),
    DecisionStatus.superseded: N_("Superseded"),
    DecisionStatus.deferred: N_("Deferred"),
    DecisionStatus.withdrawn: N_("Withdrawn"),
}
RELATIONS: dict[str, str] = {Relation.amends: N_("Amends"), Relation.supersedes: N_("Supersedes")}
VERSION_KINDS: dict[str, str] = {VersionKind.recorded: N_("Recorded"), VersionKind.corrected: N_("Corrected")}
# Names of the search index objects the migration creates outside the models (FTS5 table, GIN index).
SEARCH_INDEX_PREFIX = "decision_search"


class Decision(SQLModel, table=True):
    """One decision of one meeting, as it stands now. `status` follows from the outcome and from later decisions
    that supersede it; `search_tokens` is what the full-text indexes read (the library's normalisation)."""

    __tablename__ = "decision"
    __table_args__ = (
        one_of("outcome", DecisionOutcome),
        one_of("status", DecisionStatus),
        one_of("relation", Relation, empty=True),
        one_of("part", Part),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    part: str = Field(default="members", max_length=20)
    text_en: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    text_fr: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    proposer_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    proposer_organisation: str = Field(default="", max_length=160)
    outcome: str = Field(default="consensus", max_length=20)
    status: str = Field(default="in_force", max_length=20, index=True)
    deferred_to_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    votes_for: int | None = Field(default=None)
    votes_against: int | None = Field(default=None)
    votes_abstaining: int | None = Field(default=None)
    relation: str = Field(default="", max_length=20, description="amends | supersedes, with related_id")
    related_id: int | None = Field(default=None, foreign_key="decision.id", index=True)
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    search_tokens: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

    def text(self, language: str) -> str:
        first, second = (self.text_fr, self.text_en) if language == "fr" else (self.text_en, self.text_fr)
        return first or second


class Reservation(SQLModel, table=True):
    """A reservation a state asked to have noted, in its own words."""

    __tablename__ = "decision_reservation"
    __table_args__ = (UniqueConstraint("decision_id", "state_id"),)

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    state_id: int = Field(foreign_key="member_state.id")
    words: str = Field(sa_column=Column(Text, nullable=False))


class DecisionVersion(SQLModel, table=True):
    """What a decision said after each recording or correction, appended and never changed (JSON in `content`)."""

    __tablename__ = "decision_version"
    __table_args__ = (one_of("kind", VersionKind),)

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    kind: str = Field(max_length=20)
    content: str = Field(sa_column=Column(Text, nullable=False))
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")


class DecisionAction(SQLModel, table=True):
    """An action item that carries out a decision (an action item carries out at most one)."""

    __tablename__ = "decision_action"

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    action_item_id: int = Field(foreign_key="action_item.id", unique=True)
    linked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    linked_by: int | None = Field(default=None, foreign_key="user_account.id")
