"""The knowledge library: uploading a document (its file checked by content), who may read it, full-text search
in English and French, and withdrawing. Documents are never deleted; a withdrawn one is hidden from everyone."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from xml.parsers import expat

from sqlalchemy import ColumnElement, and_, literal, or_
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.core import clock, paging
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.governance import service as governance
from app.governance.models import Body, WorkingGroup
from app.library import search
from app.library.models import ACCESS_LEVELS, DOCUMENT_KINDS, DOCUMENT_LANGUAGES, LibraryDocument
from app.meetings import documents
from app.members.models import MemberState

MAX_TITLE = 200
MAX_SUMMARY = 5000
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
FILE_TEXT_LIMIT = 100_000  # characters of a file's own text that go into the index
XML_READ_LIMIT = 20 * 1024 * 1024  # bytes of a .docx/.odt's XML read, whatever the archive claims
# The extensions a file of each kind (as told by its content) may carry.
EXTENSIONS = {kind: {extension} for kind, (_media, extension) in documents.KINDS.items()} | {"jpeg": {".jpg", ".jpeg"}}
ACCEPTED_EXTENSIONS = set().union(*EXTENSIONS.values())
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
# Where the text of a word-processing file is: its XML part, the namespace, the elements holding the text and
# the elements that separate words (paragraphs, tabs, line breaks).
XML_TEXT = {
    "docx": ("word/document.xml", WORD_NS, {"t"}, {"p", "tab", "br", "cr"}),
    "odt": ("content.xml", TEXT_NS, {"p", "h"}, {"p", "h", "s", "tab", "line-break"}),
}


# Who may do what


def is_member(user: User | None) -> bool:
    """Focal points, coordinators and admins; observers are partners, not members."""
    return user is not None and user.role in (Role.admin, Role.coordinator, Role.focal_point)


def may_upload(user: User | None) -> bool:
    return governance.coordinates(user) or (
        user is not None and user.role == Role.focal_point and user.member_state_id is not None
    )


def may_withdraw(user: User | None, document: LibraryDocument) -> bool:
    return user is not None and (governance.coordinates(user) or document.uploaded_by == user.id)


def sees_attribution(user: User | None, document: LibraryDocument) -> bool:
    """Under the Chatham House rule only coordinators and admins see which state and who shared a document."""
    return document.access != "chatham_house" or governance.coordinates(user)


def _member_bodies(session: Session, user: User) -> list[int]:
    if user.member_state_id is None:
        return []
    standings = governance.memberships(session, state_id=user.member_state_id)
    return sorted(body_id for (body_id, _state), standing in standings.items() if standing.is_member)


def _readable(
    session: Session, settings: Settings, user: User | None, bodies: Sequence[Body]
) -> list[ColumnElement[bool]]:
    """The conditions a document must meet for this user to read it (the same for lists and single documents)."""
    document = LibraryDocument
    conditions: list[ColumnElement[bool]] = [col(document.withdrawn_at).is_(None)]
    if not governance.sees_dormant(user):
        active = [body.id for body in bodies if governance.is_active(body, settings)]
        conditions.append(or_(col(document.body_id).is_(None), col(document.body_id).in_(active)))
    if governance.coordinates(user):
        return conditions
    if user is not None and user.role == Role.focal_point:
        conditions.append(
            or_(
                col(document.access).in_(("public", "members")),
                and_(col(document.access) == "chatham_house", col(document.body_id).is_(None)),
                and_(
                    col(document.access).in_(("body", "chatham_house")),
                    col(document.body_id).in_(_member_bodies(session, user)),
                ),
            )
        )
    else:
        conditions.append(col(document.access) == "public")
    return conditions


def _bodies(session: Session) -> list[Body]:
    return list(session.exec(select(Body).order_by(col(Body.id))).all())


def get_document(session: Session, settings: Settings, document_id: int, *, user: User | None) -> LibraryDocument:
    """The document if this user may read it; 404 otherwise, so ids cannot be probed."""
    found = session.exec(
        select(LibraryDocument).where(
            LibraryDocument.id == document_id, *_readable(session, settings, user, _bodies(session))
        )
    ).first()
    if found is None:
        raise NotFound(N_("No such document in the library."))
    return found


# Reading


@dataclass(frozen=True)
class DocumentRow:
    """A document as one reader sees it: attribution (state, uploader) is None when withheld."""

    document: LibraryDocument
    body: Body | None
    working_group: WorkingGroup | None
    attributed: bool
    author_state: MemberState | None
    uploader: str | None

    @property
    def tags(self) -> list[str]:
        return self.document.tags.split()


def _rows(
    session: Session, found: Sequence[LibraryDocument], user: User | None, bodies: Sequence[Body]
) -> list[DocumentRow]:
    """Rows for documents, with what they show: three queries, whatever the number of documents."""
    by_id = {body.id: body for body in bodies}
    group_ids = {d.working_group_id for d in found if d.working_group_id is not None}
    state_ids = {d.author_state_id for d in found if d.author_state_id is not None}
    user_ids = {d.uploaded_by for d in found if d.uploaded_by is not None}
    groups = (
        {g.id: g for g in session.exec(select(WorkingGroup).where(col(WorkingGroup.id).in_(group_ids)))}
        if group_ids
        else {}
    )
    states = (
        {s.id: s for s in session.exec(select(MemberState).where(col(MemberState.id).in_(state_ids)))}
        if state_ids
        else {}
    )
    names = (
        dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids))).all())
        if user_ids
        else {}
    )
    rows = []
    for document in found:
        attributed = sees_attribution(user, document)
        rows.append(
            DocumentRow(
                document=document,
                body=by_id.get(document.body_id) if document.body_id else None,
                working_group=groups.get(document.working_group_id) if document.working_group_id else None,
                attributed=attributed,
                author_state=states.get(document.author_state_id) if attributed and document.author_state_id else None,
                uploader=names.get(document.uploaded_by) if attributed and document.uploaded_by else None,
            )
        )
    return rows


def normal_tag(value: str) -> str:
    """A tag as stored: lower case, its words joined by hyphens ('Civil protection' → 'civil-protection')."""
    return "-".join(search.words(value))


def visible_documents(
    session: Session,
    settings: Settings,
    *,
    user: User | None,
    query: str = "",
    kind: str = "",
    language: str = "",
    tag: str = "",
    limit: int = 100,
    page: int | None = None,
) -> list[DocumentRow]:
    """The documents this user may read, newest first, found by words (in English or French) and filtered by kind,
    language and tag. A search with no usable word, or too long, is refused (SearchRefused). With `page`, that
    page's documents and one more (see app.core.paging) instead of the first `limit`."""
    terms = search.parse_query(query) if query.strip() else None
    bodies = _bodies(session)
    statement = select(LibraryDocument).where(*_readable(session, settings, user, bodies))
    if terms is not None:
        statement = statement.where(search.matches(session, terms))
    if kind in DOCUMENT_KINDS:
        statement = statement.where(LibraryDocument.kind == kind)
    if language in DOCUMENT_LANGUAGES:
        statement = statement.where(LibraryDocument.language == language)
    if normal_tag(tag):
        statement = statement.where(
            (literal(" ") + col(LibraryDocument.tags) + literal(" ")).like(f"% {normal_tag(tag)} %")
        )
    statement = statement.order_by(col(LibraryDocument.uploaded_at).desc(), col(LibraryDocument.id).desc())
    if page is None:
        statement = statement.limit(max(1, min(limit, 500)))
    else:
        statement = statement.limit(paging.PAGE_SIZE + 1).offset(paging.offset(page))
    found = session.exec(statement).all()
    return _rows(session, found, user, bodies)


def new_documents(
    session: Session,
    settings: Settings,
    *,
    user: User,
    start: datetime,
    end: datetime,
    bodies: Sequence[Body] | None = None,
    limit: int = 20,
) -> list[LibraryDocument]:
    """Documents shared in [start, end) that the user may read (the library's own rules), newest first: for the
    digest. `bodies` may be passed when asking for many people."""
    readable = _readable(session, settings, user, _bodies(session) if bodies is None else bodies)
    return list(
        session.exec(
            select(LibraryDocument)
            .where(*readable, col(LibraryDocument.uploaded_at) >= start, col(LibraryDocument.uploaded_at) < end)
            .order_by(col(LibraryDocument.uploaded_at).desc(), col(LibraryDocument.id).desc())
            .limit(limit)
        ).all()
    )


def all_bodies(session: Session) -> list[Body]:
    return _bodies(session)


def public_documents(session: Session, settings: Settings, *, limit: int = 5) -> list[LibraryDocument]:
    """The newest public documents, for the network's public page; those of dormant bodies stay hidden."""
    readable = _readable(session, settings, None, _bodies(session))
    return list(
        session.exec(
            select(LibraryDocument)
            .where(*readable)
            .order_by(col(LibraryDocument.uploaded_at).desc(), col(LibraryDocument.id).desc())
            .limit(limit)
        ).all()
    )


def document_row(session: Session, document: LibraryDocument, *, user: User | None) -> DocumentRow:
    return _rows(session, [document], user, _bodies(session))[0]


def upload_choices(session: Session, settings: Settings, *, user: User) -> tuple[list[Body], list[WorkingGroup]]:
    """The bodies active under the current option, and their working groups, for the upload form."""
    bodies = [body for body, active in governance.list_bodies(session, settings, user=user) if active]
    groups = [group for group, _body, active in governance.list_working_groups(session, settings, user=user) if active]
    return bodies, groups


# Uploading


def _parse_tags(value: str) -> str:
    tags = list(dict.fromkeys(tag for tag in (normal_tag(part) for part in re.split(r"[,;]", value)) if tag))
    joined = " ".join(tags)
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags) or len(joined) > 300:
        raise DomainError(
            N_("Give at most %(count)s tags, separated by commas, each of at most %(length)s characters."),
            count=MAX_TAGS,
            length=MAX_TAG_LENGTH,
        )
    return joined


def _place(
    session: Session, settings: Settings, *, body_key: str, working_group_id: int | None, access: str
) -> tuple[Body | None, WorkingGroup | None]:
    """The body and working group a document belongs to: active ones only."""
    body = None
    if body_key.strip():
        try:
            body = governance.get_body(session, settings, body_key.strip(), user=None)
        except NotFound:
            raise DomainError(N_("Choose a body that is active under the current governance option.")) from None
    group = None
    if working_group_id is not None:
        group = session.get(WorkingGroup, working_group_id)
        group_body = session.get(Body, group.body_id) if group else None
        if (
            group is None
            or group_body is None
            or group.archived_at is not None
            or not governance.is_active(group_body, settings)
        ):
            raise DomainError(
                N_("Choose a working group of a body that is active under the current governance option.")
            )
        if body is not None and body.id != group_body.id:
            raise DomainError(N_("The working group chosen belongs to another body."))
        body = group_body
    if access == "body" and body is None:
        raise DomainError(N_("A document for the members of one body needs that body: choose it."))
    if access == "body" and body is not None and body.kind != "network":
        # States do not join regional bodies through the portal: only staff could ever read such a document.
        raise DomainError(
            N_("Only the network's own bodies have members here: choose one of them, or another access level.")
        )
    return body, group


def _check_name(filename: str, content: bytes) -> None:
    """Refuses a file whose extension claims a kind its content is not (a PNG or a program named .pdf)."""
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    kind = documents.sniff(content)
    lies = extension in ACCEPTED_EXTENSIONS if kind is None else bool(extension) and extension not in EXTENSIONS[kind]
    if lies:
        raise DomainError(
            N_(
                "The file is named %(extension)s but its content is of another kind. Send the file "
                "under the extension of what it really is."
            ),
            status_code=415,
            extension=extension,
        )


class _Enough(Exception):
    """Stops reading a file's XML: enough text, or a document declaring entities (never read)."""


def _xml_text(content: bytes, kind: str) -> str:
    """The words of a .docx or .odt, read from its XML as a stream, at most FILE_TEXT_LIMIT characters."""
    member, namespace, holders, breaks = XML_TEXT[kind]
    pieces: list[str] = []
    counted = depth = 0

    def start(name: str, _attributes: object) -> None:
        nonlocal depth
        space, _, local = name.rpartition("}")
        if space == namespace:
            depth += local in holders
            if local in breaks:
                pieces.append(" ")

    def end(name: str) -> None:
        nonlocal depth
        space, _, local = name.rpartition("}")
        if space == namespace:
            depth -= local in holders
            if local in breaks:
                pieces.append(" ")

    def characters(data: str) -> None:
        nonlocal counted
        if depth > 0:
            pieces.append(data)
            counted += len(data)
            if counted >= FILE_TEXT_LIMIT:
                raise _Enough

    def refuse_entities(*_args: object) -> None:
        raise _Enough

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = refuse_entities
    # Enough text, entities refused, or a damaged file: the document is indexed by what was read until then.
    with (
        contextlib.suppress(_Enough, expat.ExpatError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError, OSError),
        zipfile.ZipFile(io.BytesIO(content)) as archive,
        archive.open(member) as stream,
    ):
        read = 0
        while read < XML_READ_LIMIT and (chunk := stream.read(64 * 1024)):
            read += len(chunk)
            parser.Parse(chunk, False)
    return "".join(pieces)[:FILE_TEXT_LIMIT]


def file_text(content: bytes) -> str:
    """The text of a plain-text, Word or OpenDocument file, for the index; other kinds give none."""
    kind = documents.sniff(content)
    if kind == "txt":
        return content[: FILE_TEXT_LIMIT * 4].decode("utf-8", errors="ignore").lstrip("\ufeff")[:FILE_TEXT_LIMIT]
    if kind in XML_TEXT:
        return _xml_text(content, kind)
    return ""


def upload(
    session: Session,
    settings: Settings,
    *,
    user: User,
    title: str,
    kind: str,
    language: str,
    tags: str,
    access: str,
    body_key: str = "",
    working_group_id: int | None = None,
    summary: str = "",
    filename: str,
    content: bytes,
) -> LibraryDocument:
    """Adds a document to the library: its fields and file are checked first, and every one that is wrong is named
    in one refusal; nothing is kept when refused."""
    if not may_upload(user):
        raise Forbidden(N_("Only focal points, coordinators and admins add documents to the library."))
    errors = FieldErrors()
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        errors.add(DomainError(N_("Give the document a title of at most %(length)s characters."), length=MAX_TITLE))
    if kind not in DOCUMENT_KINDS:
        errors.add(DomainError(N_("Choose the kind of document from the list.")))
    if language not in DOCUMENT_LANGUAGES:
        errors.add(DomainError(N_("Choose the language of the document: English or French.")))
    if access not in ACCESS_LEVELS:
        errors.add(DomainError(N_("Choose who may read the document from the list.")))
    with errors.field():
        body, group = _place(session, settings, body_key=body_key, working_group_id=working_group_id, access=access)
    with errors.field():
        tag_text = _parse_tags(tags)
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY:
        errors.add(DomainError(N_("The summary may have at most %(length)s characters."), length=MAX_SUMMARY))
    with errors.field():
        if content and len(content) <= settings.upload_max_bytes:
            _check_name(filename, content)
        file_kind = documents.check(settings, content)
    errors.raise_any()
    stored = documents.store(settings, filename=filename, content=content, kind=file_kind)
    tokens = search.index_tokens(" ".join((title, summary, tag_text.replace("-", " "), file_text(content))), language)
    document = LibraryDocument(
        title=title,
        kind=kind,
        language=language,
        tags=tag_text,
        body_id=body.id if body else None,
        working_group_id=group.id if group else None,
        access=access,
        summary=summary,
        filename=stored.filename,
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        author_state_id=user.member_state_id if user.role == Role.focal_point else None,
        uploaded_by=user.id,
        uploaded_at=clock.now(),
        search_tokens=tokens,
    )
    session.add(document)
    session.flush()
    search.index(session, id_of(document), tokens)
    audit.record(
        session,
        actor_id=user.id,
        action="upload",
        entity="library_document",
        entity_id=document.id,
        after={"title": title, "access": access, "filename": stored.filename, "size": stored.size},
    )
    session.commit()
    return document


def withdraw(session: Session, *, user: User, document: LibraryDocument) -> None:
    """Hides a document from everyone (it stays recorded): by its uploader, a coordinator or an admin."""
    if not may_withdraw(user, document):
        raise Forbidden(N_("Only whoever added the document, coordinators and admins may withdraw it."))
    if document.withdrawn_at is not None:
        return
    document.withdrawn_at, document.withdrawn_by = clock.now(), user.id
    session.add(document)
    search.unindex(session, id_of(document))
    audit.record(session, actor_id=user.id, action="withdraw", entity="library_document", entity_id=document.id)
    session.commit()
