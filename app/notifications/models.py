"""What the scheduled jobs have sent (one row per notification, unique), their runs, and each person's choices."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_, gettext, ngettext

# The reminders a person may turn off; invitations and changes to meetings they attend are not among them.
REMINDER_KINDS = {
    "meeting": N_("Meetings I am invited to, 7 days and 1 day before"),
    "nomination": N_("Nomination deadlines of training offers my state has not answered"),
    "action": N_("Action items of my state due in 7 days or overdue"),
    "update": N_("Written updates my state has not posted before a meeting it is invited to"),
    "review": N_("Overdue action items to review, before each meeting I coordinate"),
    "request": N_("Membership requests waiting more than 3 days for a decision, then weekly"),
    "candidates": N_("Nominations waiting more than 3 days for my decision as provider, then weekly"),
    "need": N_("Needs without support past their date, then weekly"),
}


class Digest(StrEnum):
    weekly = "weekly"
    daily = "daily"
    never = "never"


class NotificationOutcome(StrEnum):
    queued = "queued"
    skipped = "skipped"


class Job(StrEnum):
    """The scheduled jobs, by the name their runs and notifications record (service.jobs() runs each)."""

    meeting_reminders = "meeting_reminders"
    nomination_reminders = "nomination_reminders"
    action_reminders = "action_reminders"
    update_reminders = "update_reminders"
    review_reminders = "review_reminders"
    waiting_reminders = "waiting_reminders"
    digests = "digests"


DIGESTS: dict[str, str] = {Digest.weekly: N_("Weekly"), Digest.daily: N_("Daily"), Digest.never: N_("Never")}
JOB_LABELS: dict[str, str] = {
    Job.meeting_reminders: N_("Meeting reminders"),
    Job.nomination_reminders: N_("Nomination deadline reminders"),
    Job.action_reminders: N_("Action item reminders"),
    Job.update_reminders: N_("Written update reminders"),
    Job.review_reminders: N_("Overdue action items before a meeting"),
    Job.waiting_reminders: N_("Requests, nominations and needs waiting"),
    Job.digests: N_("Digests"),
}
KIND_LABELS = {
    "meeting_7d": N_("Meeting in 7 days"),
    "meeting_1d": N_("Meeting tomorrow"),
    "nomination_7d": N_("Nomination deadline in 7 days"),
    "nomination_2d": N_("Nomination deadline in 2 days"),
    "action_7d": N_("Action item due in 7 days"),
    "action_overdue": N_("Action item overdue"),
    "update_7d": N_("Written update, meeting in 7 days"),
    "update_1d": N_("Written update, meeting tomorrow"),
    "review_7d": N_("Overdue action items, meeting in 7 days"),
    "request_waiting": N_("Membership request waiting"),
    "candidates_waiting": N_("Nominations waiting for a decision"),
    "need_waiting": N_("Need without support past its date"),
    "digest": N_("Digest"),
}
OUTCOMES: dict[str, str] = {NotificationOutcome.queued: N_("Queued"), NotificationOutcome.skipped: N_("Skipped")}


def kind_label(kind: str) -> str:
    """A reminder kind in the reader's language, including the days a series chose ("meeting_14d")."""
    if kind in KIND_LABELS:
        return gettext(KIND_LABELS[kind])
    subject, _, days = kind.rpartition("_")
    if subject in ("meeting", "update") and days.endswith("d") and days[:-1].isdigit():
        number = int(days[:-1])
        if subject == "meeting":
            return (
                gettext("Meeting today")
                if number == 0
                else ngettext("Meeting in %(num)d day", "Meeting in %(num)d days", number) % {"num": number}
            )
        if number == 0:
            return gettext("Written update, meeting today")
        return ngettext("Written update, meeting in %(num)d day", "Written update, meeting in %(num)d days", number) % {
            "num": number
        }
    return kind


class Notification(SQLModel, table=True):
    """One notification decided by a job: queued in the outbox in the same transaction, or skipped (a reminder
    overtaken by a later one, or turned off). The unique key (kind, object, recipient, due moment) is what makes a
    retry, a second worker or a run after a crash send nothing twice."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", "user_id", "due_at", name="uq_notification_key"),
        one_of("outcome", NotificationOutcome),
        one_of("job", Job),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Not a closed list: a series chooses its reminder days, so a kind may carry any offset ("meeting_14d").
    kind: str = Field(max_length=40)
    object_id: int
    user_id: int = Field(foreign_key="user_account.id", index=True)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False), description="what the reminder is about")
    job: str = Field(max_length=40)
    outcome: str = Field(default="queued", max_length=10)
    late: bool = False
    decided_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    outbox_message_id: int | None = Field(default=None, foreign_key="outbox_message.id")


class JobRun(SQLModel, table=True):
    """One run of one scheduled job and what it did. A run that did nothing takes the place of the job's latest
    run when that one did nothing either, so that a job idle every minute keeps one row rather than 1,440 a day."""

    __tablename__ = "job_run"
    __table_args__ = (one_of("job", Job), Index("ix_job_run_job_id", "job", "id"))

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    clock: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False), description="the moment it ran for")
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    # Notifications due but left for the next runs, past the most one run decides (PRCN_NOTIFICATIONS_PER_RUN).
    deferred: int = 0
    error: str = Field(default="", max_length=500)

    @property
    def idle(self) -> bool:
        """It decided nothing, left nothing for later and met no error."""
        return not (self.sent or self.skipped or self.failed or self.deferred or self.error)


class NotificationPreference(SQLModel, table=True):
    """A person's choices; someone without a row gets the defaults (weekly digest on Monday at 08:00, every
    reminder on)."""

    __tablename__ = "notification_preference"
    __table_args__ = (one_of("digest", Digest),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    digest: str = Field(default="weekly", max_length=10)
    digest_weekday: int = Field(default=0, ge=0, le=6, description="0 is Monday")
    digest_hour: int = Field(default=8, ge=0, le=23)
    reminders_off: str = Field(default="", max_length=200, description="space-separated REMINDER_KINDS keys")
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
