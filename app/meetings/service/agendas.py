"""A meeting's agenda, from draft to final, and its documents."""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core import clock, region
from app.core.config import Settings
from app.core.db import id_of
from app.core.errors import Conflict, DomainError, Forbidden, NotFound
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.meetings import documents, mail
from app.meetings.models import (
    AgendaItem,
    Invitation,
    Meeting,
    MeetingDocument,
)
from app.meetings.service.rights import Access, require_runner
from app.outbox import service as outbox

# The statements a meeting's page runs on every view are built once, with the meeting as a bound parameter:
# building one cost more than running it.
_AGENDA = (
    select(AgendaItem)
    .where(AgendaItem.meeting_id == bindparam("meeting_id"))
    .order_by(col(AgendaItem.position), col(AgendaItem.id))
)
_DOCUMENTS = select(MeetingDocument).where(MeetingDocument.meeting_id == bindparam("meeting_id"))
_DOCUMENTS_ORDER = (col(MeetingDocument.uploaded_at), col(MeetingDocument.id))
_ALL_DOCUMENTS = _DOCUMENTS.order_by(*_DOCUMENTS_ORDER)
_OBSERVERS_DOCUMENTS = _DOCUMENTS.where(MeetingDocument.part == "observers").order_by(*_DOCUMENTS_ORDER)


def agenda(session: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(session.exec(_AGENDA, params={"meeting_id": meeting.id}).all())


def check_agenda_fits(session: Session, meeting: Meeting, extra: int = 0) -> None:
    total = sum(item.duration_minutes for item in agenda(session, meeting)) + extra
    length = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    if total > length:
        raise DomainError(
            N_("The agenda (%(total)s minutes) is longer than the meeting (%(length)s minutes)."),
            total=total,
            length=length,
        )


def _check_editable(meeting: Meeting) -> None:
    if meeting.agenda_status == "final":
        raise Conflict(N_("The agenda is final and can no longer change."))


def _minutes(duration: int | str) -> int:
    try:
        minutes = int(duration)
    except (TypeError, ValueError):
        raise DomainError(N_("The duration must be a number of minutes.")) from None
    if minutes < 1:
        raise DomainError(N_("An item lasts at least one minute."))
    return minutes


def add_agenda_item(
    session: Session, *, user: User, meeting: Meeting, title: str, presenter: str, duration: int | str, part: str
) -> AgendaItem:
    """Adds an item at the end of the agenda; every wrong field is named in one refusal."""
    require_runner(user)
    _check_editable(meeting)
    errors = FieldErrors()
    text = title.strip()
    if not text or len(text) > 300:
        errors.add(DomainError(N_("Give the item a title of at most 300 characters.")))
    with errors.field():
        minutes = _minutes(duration)
        check_agenda_fits(session, meeting, extra=minutes)
    if part not in ("members", "observers"):
        errors.add(DomainError(N_("Choose members only or with observers.")))
    errors.raise_any()
    position = (
        session.exec(
            select(func.coalesce(func.max(AgendaItem.position), 0)).where(AgendaItem.meeting_id == meeting.id)
        ).one()
        + 1
    )
    item = AgendaItem(
        meeting_id=id_of(meeting),
        position=position,
        title=text,
        presenter=presenter.strip()[:200],
        duration_minutes=minutes,
        part=part,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="add",
        entity="agenda_item",
        entity_id=item.id,
        after={"meeting": meeting.id, "title": text},
    )
    session.commit()
    return item


def move_agenda_item(session: Session, *, user: User, meeting: Meeting, item_id: int, direction: str) -> None:
    """Swaps an item with the one above or below it."""
    require_runner(user)
    _check_editable(meeting)
    items = agenda(session, meeting)
    index = next((i for i, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise NotFound(N_("No such agenda item."))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, item in enumerate(items, start=1):
            item.position = position
            session.add(item)
        session.commit()


def remove_agenda_item(session: Session, *, user: User, meeting: Meeting, item_id: int) -> None:
    require_runner(user)
    _check_editable(meeting)
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(N_("No such agenda item."))
    if session.exec(
        select(func.count()).select_from(MeetingDocument).where(MeetingDocument.agenda_item_id == item_id)
    ).one():
        raise Conflict(N_("This item has attachments; it cannot be removed."))
    audit.record(
        session,
        actor_id=user.id,
        action="remove",
        entity="agenda_item",
        entity_id=item.id,
        before={"meeting": meeting.id, "title": item.title},
    )
    session.delete(item)
    session.commit()


AGENDA_STEPS = {"draft": "circulated", "circulated": "final"}


def advance_agenda(session: Session, settings: Settings, *, user: User, meeting: Meeting) -> str:
    """Draft → circulated (the invited focal points are notified) → final."""
    require_runner(user)
    following = AGENDA_STEPS.get(meeting.agenda_status)
    if following is None:
        raise Conflict(N_("The agenda is final already."))
    if not agenda(session, meeting):
        raise DomainError(N_("Add at least one item before circulating the agenda."))
    meeting.agenda_status = following
    session.add(meeting)
    if following == "circulated":
        _notify_agenda(session, settings, meeting)
    audit.record(session, actor_id=user.id, action=following, entity="agenda", entity_id=meeting.id)
    session.commit()
    return following


def _notify_agenda(session: Session, settings: Settings, meeting: Meeting) -> None:
    people = session.exec(
        select(User)
        .join(Invitation, col(Invitation.user_id) == User.id)
        .where(Invitation.meeting_id == meeting.id, col(User.is_active).is_(True))
    ).all()
    network = region.load(settings.seeds_dir)
    for person in people:
        subject, body = mail.agenda_message(
            user=person,
            meeting=meeting,
            title=meeting.title(person.language),
            url=f"{settings.base_url}/meetings/{meeting.id}",
            portal=network.short_name(person.language),
        )
        outbox.queue(session, recipient=person.email, subject=subject, body=body)


# Documents


def upload(
    session: Session,
    settings: Settings,
    *,
    user: User,
    meeting: Meeting,
    rights: Access,
    filename: str,
    content: bytes,
    part: str = "members",
    agenda_item_id: int | None = None,
) -> MeetingDocument:
    """A coordinator attaches a file to the agenda; a member state's focal point posts its written update."""
    if part not in ("members", "observers"):
        raise DomainError(N_("Choose members only or with observers."))
    if rights.runs:
        kind, state_id = "attachment", None
        if agenda_item_id is not None:
            item = session.get(AgendaItem, agenda_item_id)
            if item is None or item.meeting_id != meeting.id:
                raise NotFound(N_("No such agenda item."))
    elif rights.member and rights.state_id is not None:
        kind, state_id, agenda_item_id, part = "written_update", rights.state_id, None, "members"
    else:
        raise Forbidden(N_("Only member states post written updates to this meeting."))
    stored = documents.store(settings, filename=filename, content=content)
    document = MeetingDocument(
        meeting_id=id_of(meeting),
        agenda_item_id=agenda_item_id,
        state_id=state_id,
        kind=kind,
        part=part,
        filename=stored.filename,
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_at=clock.now(),
        uploaded_by=user.id,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="upload",
        entity="meeting_document",
        entity_id=document.id,
        after={"meeting": meeting.id, "filename": document.filename, "size": document.size},
    )
    session.commit()
    return document


def visible_documents(session: Session, meeting: Meeting, rights: Access) -> list[MeetingDocument]:
    query = _ALL_DOCUMENTS if rights.attributions else _OBSERVERS_DOCUMENTS
    return list(session.exec(query, params={"meeting_id": meeting.id}).all())


def get_document(session: Session, meeting: Meeting, rights: Access, document_id: int) -> MeetingDocument:
    document = session.get(MeetingDocument, document_id)
    if (
        document is None
        or document.meeting_id != meeting.id
        or (document.part == "members" and not rights.attributions)
    ):
        raise NotFound(N_("No such document."))
    return document
