"""Uploaded documents: size and type checked by content, kept under var/uploads, and shown only to those who may
read them."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.auth.models import User
from app.core.config import ROOT, Settings
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.meetings import documents, service
from app.meetings.models import Meeting, MeetingDocument
from tests.meetings.conftest import Cast, MeetingFactory

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00L\x01"


def office(first_part: str) -> bytes:
    """A minimal Office Open XML package: its content types and one part (word/, xl/ or ppt/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(first_part, '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", EXE)
    return buffer.getvalue()


@pytest.fixture
def kept(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with uploads kept in a fresh var directory and a 1 MiB limit."""
    return settings.model_copy(update={"var_dir": tmp_path / "var", "upload_max_bytes": 1024 * 1024})


def said(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.message % error.value.params


# Checking and keeping a file


@pytest.mark.parametrize(
    ("name", "content", "media_type", "stored_as"),
    [
        ("written update.pdf", PDF, "application/pdf", "written update.pdf"),
        ("map.png", PNG, "image/png", "map.png"),
        ("photo.jpeg", JPEG, "image/jpeg", "photo.jpg"),
        (
            "update.docx",
            office("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "update.docx",
        ),
        (
            "figures.xlsx",
            office("xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "figures.xlsx",
        ),
        (
            "briefing.pptx",
            office("ppt/presentation.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "briefing.pptx",
        ),
        ("notes.odt", odt(), "application/vnd.oasis.opendocument.text", "notes.odt"),
        ("notes.txt", "Fidji : rapport écrit.\n".encode(), "text/plain", "notes.txt"),
        ("really a picture.pdf", PNG, "image/png", "really a picture.png"),
        ("../../etc/cron.d/evil.pdf", PDF, "application/pdf", "evil.pdf"),
        ("C:\\Users\\fp\\Update <final>.pdf", PDF, "application/pdf", "Update _final_.pdf"),
    ],
)
def test_accepted_files_are_named_and_typed_by_their_content(
    kept: Settings, name: str, content: bytes, media_type: str, stored_as: str
) -> None:
    stored = documents.store(kept, filename=name, content=content)
    assert (stored.filename, stored.media_type, stored.size) == (stored_as, media_type, len(content))


def test_a_kept_file_lies_under_var_uploads_and_not_under_static(kept: Settings) -> None:
    stored = documents.store(kept, filename="update.pdf", content=PDF)
    path = documents.file_path(kept, stored.sha256)
    assert path.read_bytes() == PDF
    assert path.is_relative_to(kept.var_dir / "uploads")
    assert not path.resolve().is_relative_to((ROOT / "static").resolve())
    assert [p for p in (kept.var_dir / "uploads").rglob("*") if p.is_file()] == [path]


def test_the_same_file_sent_twice_is_kept_once(kept: Settings) -> None:
    first = documents.store(kept, filename="a.pdf", content=PDF)
    second = documents.store(kept, filename="b.pdf", content=PDF)
    assert first.sha256 == second.sha256
    assert len([p for p in (kept.var_dir / "uploads").rglob("*") if p.is_file()]) == 1


def test_a_file_of_exactly_the_limit_is_accepted_and_one_byte_more_is_too_large(kept: Settings) -> None:
    limit = kept.upload_max_bytes
    at_limit = PDF + b" " * (limit - len(PDF))
    assert documents.store(kept, filename="big.pdf", content=at_limit).size == limit
    with pytest.raises(DomainError) as error:
        documents.store(kept, filename="bigger.pdf", content=at_limit + b" ")
    assert error.value.status_code == 413
    assert said(error) == "The file is larger than 1.0 MB."


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("minutes.pdf", EXE),
        ("update.pdf", random.Random(4).randbytes(4096)),
        ("update.docx", plain_zip()),
        ("update.docx", b"PK\x03\x04" + b"not really a zip archive"),
        ("nul.txt", b"text with a \x00 inside"),
    ],
)
def test_a_file_whose_content_is_not_an_accepted_kind_is_refused(kept: Settings, name: str, content: bytes) -> None:
    with pytest.raises(DomainError) as error:
        documents.store(kept, filename=name, content=content)
    assert error.value.status_code == 415
    assert said(error).startswith("This kind of file is not accepted")
    assert not (kept.var_dir / "uploads").exists()


def test_an_empty_file_is_refused(kept: Settings) -> None:
    with pytest.raises(DomainError) as error:
        documents.store(kept, filename="empty.pdf", content=b"")
    assert (error.value.status_code, said(error)) == (400, "The file is empty.")
    assert not (kept.var_dir / "uploads").exists()


# Uploading to a meeting, and who sees what


@pytest.fixture
def meeting(session: Session, settings: Settings, cast: Cast, make_meeting: MeetingFactory) -> Meeting:
    """An SME meeting with its members, Tonga (not a member) and one observer invited."""
    found = make_meeting()
    service.invite(
        session,
        settings,
        user=cast.coordinator,
        meeting=found,
        state_ids=[cast.states["TO"].id],
        observer_ids=[cast.observer.id],
    )  # type: ignore[list-item]
    return found


def upload(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    user: User,
    name: str,
    content: bytes = PDF,
    part: str = "members",
    agenda_item_id: int | None = None,
) -> MeetingDocument:
    rights = service.access(session, meeting, user)
    return service.upload(
        session,
        settings,
        user=user,
        meeting=meeting,
        rights=rights,
        filename=name,
        content=content,
        part=part,
        agenda_item_id=agenda_item_id,
    )


def seen_by(session: Session, meeting: Meeting, user: User) -> list[str]:
    return [d.filename for d in service.visible_documents(session, meeting, service.access(session, meeting, user))]


def test_members_only_documents_are_hidden_from_non_members(
    session: Session, kept: Settings, cast: Cast, meeting: Meeting
) -> None:
    secret = upload(session, kept, meeting, cast.coordinator, "members brief.pdf", part="members")
    upload(session, kept, meeting, cast.coordinator, "open brief.pdf", content=PDF + b"%open", part="observers")
    update = upload(
        session, kept, meeting, cast.focal["FJ"], "fiji update.pdf", content=PDF + b"%fiji", part="observers"
    )
    assert (update.kind, update.part, update.state_id) == ("written_update", "members", cast.states["FJ"].id)

    everything = ["members brief.pdf", "open brief.pdf", "fiji update.pdf"]
    assert seen_by(session, meeting, cast.coordinator) == everything
    assert seen_by(session, meeting, cast.focal["WS"]) == everything
    assert seen_by(session, meeting, cast.focal["TO"]) == ["open brief.pdf"]
    assert seen_by(session, meeting, cast.observer) == ["open brief.pdf"]

    for outsider in (cast.focal["TO"], cast.observer):
        with pytest.raises(NotFound):
            service.get_document(session, meeting, service.access(session, meeting, outsider), secret.id)  # type: ignore[arg-type]
    samoa = service.access(session, meeting, cast.focal["WS"])
    assert service.get_document(session, meeting, samoa, secret.id).filename == "members brief.pdf"  # type: ignore[arg-type]


def test_a_document_is_not_found_through_another_meeting(
    session: Session, kept: Settings, cast: Cast, meeting: Meeting, make_meeting: MeetingFactory
) -> None:
    document = upload(session, kept, meeting, cast.coordinator, "brief.pdf", part="observers")
    other = make_meeting(day="2027-10-12")
    with pytest.raises(NotFound):
        service.get_document(session, other, service.access(session, other, cast.coordinator), document.id)  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["invited non-member state", "invited observer"])
def test_only_member_states_post_written_updates(
    session: Session, kept: Settings, cast: Cast, meeting: Meeting, who: str
) -> None:
    user = cast.focal["TO"] if who == "invited non-member state" else cast.observer
    with pytest.raises(Forbidden):
        upload(session, kept, meeting, user, "our update.pdf")
    session.rollback()
    assert session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == meeting.id)).all() == []
    assert not (kept.var_dir / "uploads").exists()


def test_a_refused_upload_leaves_no_document_behind(
    session: Session, kept: Settings, cast: Cast, meeting: Meeting
) -> None:
    for content, status in ((EXE, 415), (b"", 400), (PDF + b" " * kept.upload_max_bytes, 413)):
        with pytest.raises(DomainError) as error:
            upload(session, kept, meeting, cast.focal["FJ"], "update.pdf", content=content)
        assert error.value.status_code == status
        session.rollback()
    assert service.visible_documents(session, meeting, service.access(session, meeting, cast.coordinator)) == []


def test_an_agenda_item_with_an_attachment_cannot_be_removed(
    session: Session, kept: Settings, cast: Cast, meeting: Meeting, make_meeting: MeetingFactory
) -> None:
    item = service.add_agenda_item(
        session,
        user=cast.coordinator,
        meeting=meeting,
        title="Readiness briefing",
        presenter="UN DPO",
        duration=30,
        part="observers",
    )
    attachment = upload(
        session, kept, meeting, cast.coordinator, "briefing.pdf", part="observers", agenda_item_id=item.id
    )
    assert attachment.agenda_item_id == item.id and attachment.kind == "attachment"
    with pytest.raises(Conflict):
        service.remove_agenda_item(session, user=cast.coordinator, meeting=meeting, item_id=item.id)  # type: ignore[arg-type]
    session.rollback()
    assert [i.id for i in service.agenda(session, meeting)] == [item.id]

    other = make_meeting(day="2027-10-12")
    with pytest.raises(NotFound):
        upload(session, kept, other, cast.coordinator, "briefing.pdf", agenda_item_id=item.id)
    session.rollback()
    assert session.exec(select(MeetingDocument).where(MeetingDocument.meeting_id == other.id)).all() == []


def test_a_document_named_in_any_script_downloads_under_its_own_name(
    client, session: Session, settings: Settings, cast: Cast, meeting: Meeting
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import sign_in

    document = upload(session, settings, meeting, cast.coordinator, "Sprawozdanie z Łodzi.pdf", part="observers")
    sign_in(client, session, cast.coordinator)
    response = client.get(f"/meetings/{meeting.id}/documents/{document.id}")
    assert response.status_code == 200 and response.content == PDF
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Sprawozdanie z ') and disposition.isascii()
    assert "filename*=UTF-8''Sprawozdanie%20z%20%C5%81odzi.pdf" in disposition
