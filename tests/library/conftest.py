"""Library fixtures: uploads kept in the test's own directory, the people of each role, Fiji a member of the SME
body (Samoa not), and `add(...)` to put a document in the library the way the upload form does."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from app.auth.models import User
from app.core.config import Settings, get_settings
from app.governance import service as governance
from app.library import service
from app.library.models import LibraryDocument
from app.meetings import documents
from tests.factories import make_user, state

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The settings the portal runs with in these tests, uploads kept under the test's own directory."""
    monkeypatch.setenv("PRCN_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def person(session: Session, role: str, code: str | None = None, **fields: Any) -> User:
    if code is not None:
        fields["member_state_id"] = state(session, code).id
    return make_user(session, role=role, password=None, **fields)


@pytest.fixture
def coordinator(session: Session) -> User:
    return person(session, "coordinator", display_name="Network Coordinator")


@pytest.fixture
def admin(session: Session) -> User:
    return person(session, "admin", display_name="Portal Admin")


@pytest.fixture
def observer(session: Session) -> User:
    return person(session, "observer", display_name="Partner Observer", organisation="Partner institute")


@pytest.fixture
def fiji(session: Session, settings: Settings, coordinator: User) -> User:
    """A focal point of Fiji, which is a member of the SME body."""
    sme = governance.get_body(session, settings, "sme", user=coordinator)
    governance.record_membership(session, settings, user=coordinator, body=sme, state=state(session, "FJ"))
    return person(session, "focal_point", "FJ", display_name="Mere Fiji")


@pytest.fixture
def samoa(session: Session) -> User:
    """A focal point of Samoa, not a member of the SME body."""
    return person(session, "focal_point", "WS", display_name="Tala Samoa")


def add(session: Session, settings: Settings, user: User, **changes: Any) -> LibraryDocument:
    """A document uploaded by `user`: an English guidance note for all members, as a small PDF, unless told
    otherwise."""
    fields: dict[str, Any] = {
        "title": "Guidance note",
        "kind": "guidance_note",
        "language": "en",
        "tags": "",
        "access": "members",
        "body_key": "",
        "working_group_id": None,
        "summary": "",
        "filename": "note.pdf",
        "content": PDF,
    }
    fields.update(changes)
    return service.upload(session, settings, user=user, **fields)


def docx(*paragraphs: list[str]) -> bytes:
    """A minimal Word file; each paragraph is a list of runs (a word may be split across runs, as Word does)."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join("<w:p>" + "".join(f"<w:r><w:t>{run}</w:t></w:r>" for run in runs) + "</w:p>" for runs in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>',
        )
    return buffer.getvalue()


def odt(*paragraphs: str) -> bytes:
    """A minimal OpenDocument text file."""
    ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    body = "".join(f"<text:p>{paragraph}</text:p>" for paragraph in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            f'xmlns:office="{office}" xmlns:text="{ns}"><office:body><office:text>'
            f"{body}</office:text></office:body></office:document-content>",
        )
    return buffer.getvalue()


def ids(rows: list[service.DocumentRow]) -> set[int]:
    return {row.document.id for row in rows}  # type: ignore[misc]


def document_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(LibraryDocument)).one())


def index_count(session: Session) -> int:
    """Rows in the full-text index: the FTS5 table on SQLite; on PostgreSQL the GIN index is over the documents'
    own column, so a document without a row has no entry either."""
    if session.get_bind().dialect.name == "sqlite":
        return int(session.execute(text("SELECT count(*) FROM library_search")).scalar_one())
    return document_count(session)


def kept(settings: Settings, content: bytes) -> bool:
    """Whether a file with this content is stored."""
    return documents.file_path(settings, hashlib.sha256(content).hexdigest()).exists()
