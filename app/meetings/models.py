"""Meeting series, meetings and what hangs on them. A meeting is an instant in UTC plus its host's zone."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel, Text, UniqueConstraint

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_, NC_


class Format(StrEnum):
    in_person = "in_person"
    virtual = "virtual"
    hybrid = "hybrid"


class Cadence(StrEnum):
    quarterly = "quarterly"
    custom = "custom"


class RepeatUnit(StrEnum):
    weeks = "weeks"
    months = "months"


class Part(StrEnum):
    """Who may see a meeting's item, document or decision, and how a state sits at a meeting."""

    members = "members"
    observers = "observers"


FORMATS: dict[str, str] = {
    Format.in_person: N_("In person"),
    Format.virtual: N_("Virtual"),
    Format.hybrid: N_("Hybrid"),
}
CADENCES: dict[str, str] = {Cadence.quarterly: N_("Quarterly"), Cadence.custom: N_("Custom")}
REPEAT_UNITS: dict[str, str] = {RepeatUnit.weeks: N_("weeks"), RepeatUnit.months: N_("months")}
REPEAT_LIMITS: dict[str, int] = {RepeatUnit.weeks: 52, RepeatUnit.months: 12}
QUARTER = (3, "months")
PARTS: dict[str, str] = {Part.members: N_("Members only"), Part.observers: N_("With observers")}


class AgendaStatus(StrEnum):
    draft = "draft"
    circulated = "circulated"
    final = "final"


class Answer(StrEnum):
    attending = "attending"
    not_attending = "not_attending"
    delegated = "delegated"


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class MeetingDocumentKind(StrEnum):
    attachment = "attachment"
    written_update = "written_update"


AGENDA_STATUSES: dict[str, str] = {
    AgendaStatus.draft: N_("Draft"),
    AgendaStatus.circulated: N_("Circulated"),
    AgendaStatus.final: N_("Final"),
}
ANSWERS: dict[str, str] = {
    Answer.attending: N_("Attending"),
    Answer.not_attending: N_("Not attending"),
    Answer.delegated: N_("Delegating to a colleague"),
}
ACTION_STATUSES: dict[str, str] = {
    ActionStatus.open: NC_("action item", "Open"),
    ActionStatus.in_progress: N_("In progress"),
    ActionStatus.done: NC_("action item", "Done"),
    ActionStatus.dropped: NC_("action item", "Dropped"),
}
MEETING_STATUSES: dict[str, str] = {MeetingStatus.scheduled: N_("Scheduled"), MeetingStatus.cancelled: N_("Cancelled")}


class MeetingSeries(SQLModel, table=True):
    """Meetings that recur for one body or working group: the quarterly SME meeting or a custom series."""

    __tablename__ = "meeting_series"
    __table_args__ = (one_of("cadence", Cadence), one_of("repeat_unit", RepeatUnit))

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=40, unique=True, description="set for seeded series")
    title_en: str = Field(max_length=200)
    title_fr: str = Field(max_length=200)
    cadence: str = Field(max_length=20)
    repeat_every: int | None = Field(default=None, description="a custom series: its meetings' interval, if regular")
    repeat_unit: str | None = Field(default=None, max_length=10, description="weeks | months")
    body_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    working_group_id: int | None = Field(default=None, foreign_key="working_group.id", index=True)
    host_zone: str = Field(max_length=64)
    local_start: str = Field(max_length=5, description="HH:MM in the host's zone")
    duration_minutes: int = Field(ge=15, le=24 * 60)
    reminder_days: str = Field(
        default="",
        max_length=20,
        sa_column_kwargs={"server_default": ""},
        description="days before each meeting its reminders go, space-separated, largest first; empty: 7 and 1",
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")

    def title(self, language: str) -> str:
        return self.title_fr if language == "fr" and self.title_fr else self.title_en

    def reminder_offsets(self) -> tuple[int, ...] | None:
        """The days before each meeting its reminders go, largest first; None for the portal's own."""
        days = tuple(int(part) for part in self.reminder_days.split() if part.isdigit())
        return days or None

    def step(self) -> tuple[int, str] | None:
        """How far apart its meetings are: a quarter, a custom series' interval, or None when irregular."""
        if self.cadence == "quarterly":
            return QUARTER
        return (self.repeat_every, self.repeat_unit) if self.repeat_every and self.repeat_unit else None


class Meeting(SQLModel, table=True):
    """One meeting: a one-off or an occurrence of a series; moved or cancelled alone."""

    __tablename__ = "meeting"
    __table_args__ = (
        one_of("status", MeetingStatus),
        one_of("agenda_status", AgendaStatus),
        one_of("format", Format),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int | None = Field(default=None, foreign_key="meeting_series.id", index=True)
    title_en: str = Field(max_length=200)
    title_fr: str = Field(max_length=200)
    body_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    working_group_id: int | None = Field(default=None, foreign_key="working_group.id", index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    host_zone: str = Field(max_length=64)
    format: str = Field(max_length=20)
    venue: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=120)
    host_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    link: str = Field(default="", max_length=500)
    status: str = Field(default="scheduled", max_length=20)
    uid: str = Field(max_length=120, unique=True, description="iCalendar UID, stable for the meeting's life")
    ics_sequence: int = Field(default=0, description="iCalendar SEQUENCE, raised on every change sent")
    agenda_status: str = Field(default="draft", max_length=20)
    chatham_house: bool = Field(default=False)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    summary_published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")

    def title(self, language: str) -> str:
        return self.title_fr if language == "fr" and self.title_fr else self.title_en

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


class MeetingInvitee(SQLModel, table=True):
    """A state invited to a meeting; its part says whether it sits as a member or as an observer."""

    __tablename__ = "meeting_invitee"
    __table_args__ = (UniqueConstraint("meeting_id", "state_id"), one_of("part", Part))

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    state_id: int = Field(foreign_key="member_state.id", index=True)
    part: str = Field(default="members", max_length=20)


class Invitation(SQLModel, table=True):
    """One person's invitation to a meeting and their answer (the latest; each answer is also audited)."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        one_of("answer", Answer, empty=True),
        one_of("part", Part),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    state_id: int | None = Field(default=None, foreign_key="member_state.id")
    part: str = Field(default="members", max_length=20)
    answer: str = Field(default="", max_length=20)
    delegate_name: str = Field(default="", max_length=120)
    delegate_email: str = Field(default="", max_length=254)
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_sequence: int | None = Field(default=None, description="the ics_sequence last emailed")


class AnswerLink(SQLModel, table=True):
    """A one-click answer from an invitation email: one answer (attending or not), used once, until the meeting
    ends or a newer email replaces it. The URL carries a secret whose hash is kept here."""

    __tablename__ = "meeting_answer_link"
    __table_args__ = (one_of("reply", Answer),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    reply: str = Field(max_length=20)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    replaced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = (one_of("part", Part),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    title: str = Field(max_length=300)
    presenter: str = Field(default="", max_length=200)
    duration_minutes: int = Field(ge=1, le=24 * 60)
    part: str = Field(default="members", max_length=20)


class MeetingDocument(SQLModel, table=True):
    """An agenda attachment or a state's written update; the file itself lives under var/, not static/."""

    __tablename__ = "meeting_document"
    __table_args__ = (one_of("kind", MeetingDocumentKind), one_of("part", Part))

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    state_id: int | None = Field(default=None, foreign_key="member_state.id")
    kind: str = Field(max_length=20)
    part: str = Field(default="members", max_length=20)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")


class MinutesVersion(SQLModel, table=True):
    """Minutes in Markdown. Each save appends a version; the newest is the minutes."""

    __tablename__ = "minutes_version"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    written_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    written_by: int | None = Field(default=None, foreign_key="user_account.id")


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "state_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    state_id: int = Field(foreign_key="member_state.id")
    present: bool
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")


class ActionItem(SQLModel, table=True):
    """Something a meeting asked a state to do; reviewed at the next meeting of the same body or group."""

    __tablename__ = "action_item"
    __table_args__ = (one_of("status", ActionStatus),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    owner_state_id: int = Field(foreign_key="member_state.id", index=True)
    text: str = Field(max_length=1000)
    due_on: date
    status: str = Field(default="open", max_length=20)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")


class ActionItemEvent(SQLModel, table=True):
    """A change of an action item's status, appended."""

    __tablename__ = "action_item_event"
    __table_args__ = (one_of("status", ActionStatus),)

    id: int | None = Field(default=None, primary_key=True)
    action_item_id: int = Field(foreign_key="action_item.id", index=True)
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    by: int | None = Field(default=None, foreign_key="user_account.id")


class CalendarFeed(SQLModel, table=True):
    """A user's private calendar feed; the URL carries a secret whose hash is kept here."""

    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
