"""One outgoing email and its delivery state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel, Text

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_


class MessageStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


STATUS_LABELS: dict[str, str] = {
    MessageStatus.pending: N_("Pending"),
    MessageStatus.sent: N_("Sent"),
    MessageStatus.failed: N_("Failed"),
}


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (one_of("status", MessageStatus),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=255)
    body: str = Field(sa_column=Column(Text, nullable=False))
    html: str | None = Field(default=None, sa_column=Column(Text, nullable=True), description="an HTML alternative")
    calendar: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: str | None = Field(
        default=None, sa_column=Column(Text, nullable=True), description="extra header lines, as JSON {name: value}"
    )
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    claim: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str = Field(default="", max_length=500)
