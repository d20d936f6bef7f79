"""Every domain's tables, imported so that Alembic and the tests see one metadata."""

from app.audit.models import AuditEntry
from app.auth.models import OneTimeToken, SignInFailure, SsoIdentity, User, UserSession
from app.members.models import MemberState
from app.outbox.models import OutboxMessage

__all__ = [
    "AuditEntry", "MemberState", "OneTimeToken", "OutboxMessage", "SignInFailure", "SsoIdentity", "User",
    "UserSession",
]
