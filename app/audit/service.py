"""Recording changes. The caller commits, so the entry lands in the same transaction as the change; its log line
is written once that transaction commits, so a change rolled back leaves no line."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.core import clock

SECRET_FIELDS = frozenset({"password_hash", "token_hash", "csrf_secret"})
log = logging.getLogger("prcn.audit")
PENDING = "audit lines waiting for commit"


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a model, secrets left out, as JSON-safe values."""
    return {name: _plain(getattr(obj, name)) for name in fields if name not in SECRET_FIELDS}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    address: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        address=address[:64],
    )
    session.add(entry)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING, []).append((transaction, _line(entry)))
    return entry


def _line(entry: AuditEntry) -> tuple[object, ...]:
    """One line per change beside its row: ids, action and entity only, plus the status change when there is one;
    the format and its arguments, for the logger."""
    line = "actor=%s action=%s entity=%s id=%s"
    arguments: list[object] = [entry.actor_id, entry.action, entry.entity, entry.entity_id]
    statuses = ((entry.before or {}).get("status"), (entry.after or {}).get("status"))
    if statuses != (None, None):
        line += " status=%s->%s"
        arguments += statuses
    return (line, *arguments)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    """Whether `transaction` is `outer` or one begun inside it."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _write_committed(session: Session) -> None:
    """A savepoint released hands its lines to the transaction around it; the outermost commit writes them all."""
    pending = session.info.get(PENDING, [])
    released = session.get_nested_transaction()
    if released is not None:
        session.info[PENDING] = [
            (released.parent if transaction is released else transaction, line) for transaction, line in pending
        ]
        return
    session.info.pop(PENDING, None)
    for _, line in pending:
        log.info(*line)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A transaction rolled back drops the lines of the changes made in it, a savepoint only its own."""
    pending = session.info.get(PENDING, [])
    session.info[PENDING] = [
        (transaction, line) for transaction, line in pending if not _within(transaction, previous_transaction)
    ]


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """When the outermost transaction ends without a commit (the session closed), its lines go with it."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def latest(session: Session, *, limit: int = 100, offset: int = 0) -> tuple[list[tuple[AuditEntry, str | None]], int]:
    """A page of entries with the actor's name, newest first, and the total count (two queries)."""
    from app.auth.models import User

    rows = session.exec(
        select(AuditEntry, User.display_name)
        .outerjoin(User, col(User.id) == AuditEntry.actor_id)
        .order_by(col(AuditEntry.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    total = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return [(entry, name) for entry, name in rows], total
