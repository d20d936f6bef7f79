"""The knowledge library: documents the network shares, each with a language, tags and an access level."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel, Text

from app.core.choices import one_of
from app.core.db import UTCDateTime
from app.core.i18n import N_


class DocumentKind(StrEnum):
    lesson_learned = "lesson_learned"
    guidance_note = "guidance_note"
    written_update = "written_update"
    training_material = "training_material"
    public_summary = "public_summary"


class AccessLevel(StrEnum):
    public = "public"
    members = "members"
    body = "body"
    chatham_house = "chatham_house"


DOCUMENT_KINDS: dict[str, str] = {
    DocumentKind.lesson_learned: N_("Lessons learned"),
    DocumentKind.guidance_note: N_("Guidance note"),
    DocumentKind.written_update: N_("Written update"),
    DocumentKind.training_material: N_("Training material"),
    DocumentKind.public_summary: N_("Public summary"),
}
ACCESS_LEVELS: dict[str, str] = {
    AccessLevel.public: N_("Public"),
    AccessLevel.members: N_("All members"),
    AccessLevel.body: N_("Members of one body"),
    AccessLevel.chatham_house: N_("Chatham House (no attribution)"),
}
DOCUMENT_LANGUAGES = {"en": N_("English"), "fr": N_("French")}
# Names of the search index objects the migrations create outside the models (FTS5 table, GIN index).
SEARCH_INDEX_PREFIX = "library_search"


class LibraryDocument(SQLModel, table=True):
    """One shared document; the file lives under var/uploads by its SHA-256, never under static/.

    `search_tokens` holds the normalised words (and their stems) that both databases' full-text indexes read,
    so SQLite and PostgreSQL find the same documents. A withdrawn document is hidden, not deleted."""

    __tablename__ = "library_document"
    __table_args__ = (
        one_of("kind", DocumentKind),
        one_of("access", AccessLevel),
        one_of("language", DOCUMENT_LANGUAGES),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=30, index=True)
    language: str = Field(max_length=2)
    tags: str = Field(default="", max_length=300, description="space-separated, lower case")
    body_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    working_group_id: int | None = Field(default=None, foreign_key="working_group.id")
    access: str = Field(max_length=20, index=True)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    filename: str = Field(max_length=160)
    media_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    author_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")
    uploaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    search_tokens: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    withdrawn_by: int | None = Field(default=None, foreign_key="user_account.id")


# Other domains' search indexes made the same way (the decisions register's).
OTHER_SEARCH_INDEX_PREFIXES = ("decision_search",)


def outside_search_index(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: leaves out the search index objects, which no model describes."""
    return not (name or "").startswith((SEARCH_INDEX_PREFIX, *OTHER_SEARCH_INDEX_PREFIXES))
