"""A member state or territory, loaded from seeds/ and kept in the database."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class MemberStateBase(SQLModel):
    code: str = Field(max_length=2, unique=True, index=True, description="ISO 3166-1 alpha-2")
    name_en: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
    subregion: str = Field(max_length=20)


class MemberState(MemberStateBase, table=True):
    __tablename__ = "member_state"

    id: int | None = Field(default=None, primary_key=True)

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en
