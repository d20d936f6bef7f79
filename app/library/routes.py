"""Library pages: the search with its filters, a document and its file, the upload form, withdrawing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import CurrentUser, Member, VisitorDep, public
from app.auth.models import User
from app.core import paging
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.web import error_text, form_action, render
from app.library import search, service
from app.library.models import LibraryDocument
from app.meetings import documents

router = APIRouter()
# Who may add documents and withdraw them; the service then decides which document (its uploader or staff).
Text = Annotated[str, Form(max_length=10_000)]

NOTICES = {
    "uploaded": N_("The document has been added to the library."),
    "withdrawn": N_("The document has been withdrawn: it is hidden from everyone but stays on record."),
}


def document_from_path(doc_id: int, session: SessionDep, visitor: VisitorDep) -> LibraryDocument:
    """The document if this visitor (signed in or not) may read it; 404 otherwise."""
    return service.get_document(session, get_settings(), doc_id, user=visitor.user)


DocumentFromPath = Annotated[LibraryDocument, Depends(document_from_path)]


@router.get("/library", response_class=HTMLResponse)
def library(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
    kind: str = "",
    language: str = "",
    tag: str = "",
    notice: str = "",
    page: str = "",
) -> HTMLResponse:
    """The documents the user may read, searched by words in English or French and filtered, newest first, a page
    at a time."""
    filters = {"q": q[:500], "kind": kind, "language": language, "tag": tag[:100]}
    error, status, rows, number = "", 200, [], paging.page_number(page)
    try:
        rows = service.visible_documents(
            session,
            get_settings(),
            user=user,
            query=filters["q"],
            kind=kind,
            language=language,
            tag=filters["tag"],
            page=number,
        )
    except search.SearchRefused as refused:
        error, status = error_text(refused), refused.status_code
    rows, pages = paging.cut(request, rows, number)
    return render(
        request,
        "library/page.html",
        {
            "rows": rows,
            "page": pages,
            "filters": filters,
            "error": error,
            "may_upload": service.may_upload(user),
            "notice": NOTICES.get(notice),
        },
        partial="library/_results.html",
        status_code=status,
    )


def _form_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    values: dict[str, object] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    settings = get_settings()
    bodies, groups = service.upload_choices(session, settings, user=user)
    return render(
        request,
        "library/form.html",
        {
            "values": values or {},
            "error": error,
            "bodies": bodies,
            "groups": groups,
            "bodies_by_id": {body.id: body for body in bodies},
            "max_size": settings.upload_max_bytes,
        },
        status_code=status,
    )


@router.get("/library/new", response_class=HTMLResponse)
def new_document(request: Request, session: SessionDep, user: Member) -> HTMLResponse:
    """The form to add a document to the library."""
    return _form_page(request, session, user, values={"language": user.language})


@router.post("/library", response_model=None)
def upload(
    request: Request,
    session: SessionDep,
    user: Member,
    title: Text = "",
    kind: Text = "",
    language: Text = "",
    tags: Text = "",
    access: Text = "",
    body: Text = "",
    working_group: Text = "",
    summary: Text = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Adds a document; a refused one comes back with the form and the reason, nothing kept."""
    settings = get_settings()
    content = file.file.read(settings.upload_max_bytes + 1) if file is not None else b""
    filename = (file.filename or "") if file is not None else ""
    values: dict[str, object] = {
        "title": title,
        "kind": kind,
        "language": language,
        "tags": tags,
        "access": access,
        "body": body,
        "working_group": working_group,
        "summary": summary,
    }
    return form_action(
        session,
        lambda: service.upload(
            session,
            settings,
            user=user,
            title=title,
            kind=kind,
            language=language,
            tags=tags,
            access=access,
            body_key=body,
            working_group_id=int(working_group) if working_group.strip().isdigit() else None,
            summary=summary,
            filename=filename,
            content=content,
        ),
        lambda document: RedirectResponse(f"/library/{document.id}?notice=uploaded", status_code=303),
        lambda message, status: _form_page(request, session, user, values=values, error=message, status=status),
    )


@router.get("/library/{doc_id}", response_class=HTMLResponse, dependencies=[Depends(public)])
def document_page(
    request: Request, document: DocumentFromPath, session: SessionDep, visitor: VisitorDep, notice: str = ""
) -> HTMLResponse:
    """One document: what it is, who may read it, who shared it (unless under the Chatham House rule)."""
    user = visitor.user
    return render(
        request,
        "library/detail.html",
        {
            "row": service.document_row(session, document, user=user),
            "may_withdraw": service.may_withdraw(user, document),
            "notice": NOTICES.get(notice),
        },
        headers={"Cache-Control": "private, no-store"},
    )


@router.get("/library/{doc_id}/file", response_model=None, dependencies=[Depends(public)])
def download(document: DocumentFromPath) -> Response:
    """The document's file, always as a download with the type its content was checked to be."""
    path = documents.file_path(get_settings(), document.sha256)
    if not path.exists():
        raise NotFound(N_("The file of this document is missing."))
    return Response(
        path.read_bytes(),
        media_type=document.media_type,
        headers={
            "Content-Disposition": documents.attachment_header(document.filename),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/library/{doc_id}/withdraw", response_model=None)
def withdraw(user: Member, document: DocumentFromPath, session: SessionDep) -> Response:
    """Withdraws a document: hidden from everyone, never deleted."""
    service.withdraw(session, user=user, document=document)
    return RedirectResponse("/library?notice=withdrawn", status_code=303)
