"""Recording changes. The caller commits, so the entry lands in the same transaction as the change."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, func, select

from app.audit.models import AuditEntry
from app.core import clock

SECRET_FIELDS = frozenset({"password_hash", "token_hash", "csrf_secret"})
log = logging.getLogger("prcn.audit")


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
    _log(entry)
    return entry


def _log(entry: AuditEntry) -> None:
    """One line per change beside its row: ids, action and entity only, plus the status change when there is one."""
    line = "actor=%s action=%s entity=%s id=%s"
    arguments: list[object] = [entry.actor_id, entry.action, entry.entity, entry.entity_id]
    statuses = ((entry.before or {}).get("status"), (entry.after or {}).get("status"))
    if statuses != (None, None):
        line += " status=%s->%s"
        arguments += statuses
    log.info(line, *arguments)


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
