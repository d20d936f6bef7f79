"""Accounts, sign-in with limits, server-side sessions, one-time links and SSO linking."""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import ColumnElement, and_, bindparam, delete, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import mail
from app.auth.models import ROLE_LABELS, OneTimeToken, Role, SignInFailure, SsoIdentity, User, UserSession
from app.auth.passwords import check_new_password, hash_password, verify_password
from app.core import clock, region
from app.core.config import LANGUAGES, Settings
from app.core.db import id_of, once
from app.core.errors import Conflict, DomainError, Forbidden, Label, TooManyAttempts
from app.core.forms import FieldErrors
from app.core.i18n import N_
from app.members.models import MemberState
from app.outbox import service as outbox

logger = logging.getLogger(__name__)
USER_FIELDS = ("email", "display_name", "role", "member_state_id", "organisation", "language", "time_zone", "is_active")
ACCOUNT_FIELDS = ("email", "display_name", "role", "member_state_id", "organisation", "time_zone")
TOUCH_EVERY = timedelta(minutes=1)
PENDING_LIFETIME = timedelta(minutes=15)  # time to pass the second factor after the password


def account_id(user: User) -> int:
    """The id of a stored account (flushed accounts always have one)."""
    assert user.id is not None
    return user.id


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Visitor:
    """Who is asking: the account and its session, or nobody."""

    user: User | None = None
    auth_session: UserSession | None = None
    # The account of a session whose password is done but whose second factor is still asked: no `user` until then.
    pending: User | None = None

    @property
    def role(self) -> str | None:
        return self.user.role if self.user else None


class AccountExists(Conflict):
    """The email address belongs to another account, which the page can offer to open."""

    def __init__(self, account: User) -> None:
        super().__init__(
            N_("An account with this email address exists already: %(name)s, %(role)s."),
            name=account.display_name,
            role=Label(ROLE_LABELS[account.role]),
        )
        self.account = account


# Accounts


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def active_accounts(session: Session, *, role: str) -> list[User]:
    """The active accounts of one role, by name."""
    return list(
        session.exec(
            select(User).where(User.role == role, col(User.is_active).is_(True)).order_by(col(User.display_name))
        ).all()
    )


def acts_for(state_id: int) -> ColumnElement[bool]:
    """What makes an account a state's focal point, the one record of who acts for a state: an active
    focal-point account of that state."""
    return and_(
        col(User.role) == Role.focal_point, col(User.member_state_id) == state_id, col(User.is_active).is_(True)
    )


def focal_points_of(session: Session, *, state_id: int) -> list[User]:
    """A state's focal points, by name."""
    return list(session.exec(select(User).where(acts_for(state_id)).order_by(col(User.display_name))).all())


def check_account_fields(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: str,
    member_state_id: int | None,
    organisation: str,
) -> None:
    """Refuses once, naming every field of the account form that is wrong in the form's order; a focal point's state
    is checked once the role passed."""
    errors = FieldErrors()
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        errors.add(DomainError(N_("Enter a valid email address.")))
    if not display_name.strip() or len(display_name) > 120:
        errors.add(DomainError(N_("Enter a name of 1 to 120 characters.")))
    if role not in set(Role):
        errors.add(DomainError(N_("Choose a role.")))
    elif role == Role.focal_point and (member_state_id is None or session.get(MemberState, member_state_id) is None):
        errors.add(DomainError(N_("A focal point must belong to a member state.")))
    if len(organisation) > 120:
        errors.add(DomainError(N_("The organisation may have at most 120 characters.")))
    errors.raise_any()


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: str,
    actor_id: int | None,
    member_state_id: int | None = None,
    organisation: str = "",
    language: str = "en",
    password: str | None = None,
) -> User:
    """Creates an account (without a password unless one is given); the caller commits."""
    email = normalise_email(email)
    check_account_fields(
        session,
        email=email,
        display_name=display_name,
        role=role,
        member_state_id=member_state_id,
        organisation=organisation,
    )
    existing = find_user_by_email(session, email)
    if existing is not None:
        raise AccountExists(existing)
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=role,
        member_state_id=member_state_id if role == Role.focal_point else None,
        organisation=organisation.strip(),
        language=language if language in LANGUAGES else "en",
    )
    user.time_zone = _home_zone(session, user)
    if password is not None:
        check_new_password(password, email=email)
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="create",
        entity="user",
        entity_id=user.id,
        after=audit.snapshot(user, USER_FIELDS),
    )
    return user


def _home_zone(session: Session, user: User) -> str:
    """The zone of the capital of the state a focal point acts for (the first one seeded); UTC for others."""
    state = session.get(MemberState, user.member_state_id) if user.member_state_id else None
    return state.time_zones[0] if state is not None and state.time_zones else "UTC"


def update_account(
    session: Session,
    *,
    user: User,
    actor_id: int,
    email: str,
    display_name: str,
    role: str,
    member_state_id: int | None,
    organisation: str,
) -> None:
    """An admin corrects an account, checked like a new one; a new email or role signs it out everywhere."""
    email = normalise_email(email)
    check_account_fields(
        session,
        email=email,
        display_name=display_name,
        role=role,
        member_state_id=member_state_id,
        organisation=organisation,
    )
    if user.id == actor_id and role != user.role:
        raise DomainError(N_("You cannot change your own role."))
    existing = find_user_by_email(session, email)
    if existing is not None and existing.id != user.id:
        raise AccountExists(existing)
    before = audit.snapshot(user, ACCOUNT_FIELDS)
    user.email, user.display_name, user.role = email, display_name.strip(), role
    user.member_state_id = member_state_id if role == Role.focal_point else None
    user.organisation = organisation.strip()
    if user.preferences_confirmed_at is None:
        user.time_zone = _home_zone(session, user)
    after = audit.snapshot(user, ACCOUNT_FIELDS)
    changed = [name for name in ACCOUNT_FIELDS if before[name] != after[name]]
    if not changed:
        return
    session.add(user)
    audit.record(
        session,
        actor_id=actor_id,
        action="update",
        entity="user",
        entity_id=user.id,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    if {"email", "role"} & set(changed):
        _sign_out_everywhere(session, user=user, actor_id=actor_id)
    session.commit()


def update_preferences(session: Session, *, user: User, language: str, time_zone: str) -> None:
    _set_preferences(session, user=user, language=language, time_zone=time_zone, action="update")
    session.commit()


def confirm_preferences(session: Session, *, user: User, language: str, time_zone: str) -> None:
    """The owner confirms (or corrects) the language and time zone the portal uses for them, once, at first
    sign-in."""
    _set_preferences(session, user=user, language=language, time_zone=time_zone, action="confirm_preferences")
    user.preferences_confirmed_at = clock.now()
    session.commit()


def _set_preferences(session: Session, *, user: User, language: str, time_zone: str, action: str) -> None:
    if language not in LANGUAGES:
        raise DomainError(N_("Choose English or French."))
    if time_zone not in _zones():
        raise DomainError(N_("Choose a time zone from the list."))
    before = audit.snapshot(user, ("language", "time_zone"))
    user.language, user.time_zone = language, time_zone
    session.add(user)
    audit.record(
        session,
        actor_id=user.id,
        action=action,
        entity="user",
        entity_id=user.id,
        before=before,
        after=audit.snapshot(user, ("language", "time_zone")),
    )


def set_language(session: Session, *, user: User, language: str) -> None:
    update_preferences(session, user=user, language=language, time_zone=user.time_zone)


@lru_cache
def _zones() -> frozenset[str]:
    """The zones of the installed tz database: a scan of its files (tens of ms), so read once per process."""
    return frozenset(available_timezones())


@lru_cache
def _zone_choices() -> tuple[str, ...]:
    return tuple(sorted(zone for zone in _zones() if "/" in zone and not zone.startswith(("Etc/", "SystemV/"))))


def time_zone_choices() -> list[str]:
    return list(_zone_choices())


def change_password(session: Session, *, user: User, current: str, new: str, keep: UserSession | None) -> None:
    """Changes the password and ends every other session of the account."""
    if user.password_hash and not verify_password(current, user.password_hash):
        raise DomainError(N_("The current password is not correct."))
    check_new_password(new, email=user.email)
    _set_password(session, user=user, new=new, keep=keep)
    session.commit()


def _set_password(session: Session, *, user: User, new: str, keep: UserSession | None) -> None:
    user.password_hash = hash_password(new)
    session.add(user)
    end_sessions(session, user_id=user.id, keep_id=keep.id if keep else None)
    audit.record(session, actor_id=user.id, action="change_password", entity="user", entity_id=user.id)


def set_active(session: Session, *, user: User, active: bool, actor_id: int) -> None:
    if user.id == actor_id and not active:
        raise DomainError(N_("You cannot deactivate your own account."))
    before = audit.snapshot(user, ("is_active",))
    user.is_active = active
    session.add(user)
    if not active:
        end_sessions(session, user_id=user.id)
    audit.record(
        session,
        actor_id=actor_id,
        action="activate" if active else "deactivate",
        entity="user",
        entity_id=user.id,
        before=before,
        after=audit.snapshot(user, ("is_active",)),
    )
    session.commit()


# Sign-in limits


def _failures(session: Session, kind: str, key: str, since: datetime) -> list[datetime]:
    return list(
        session.exec(
            select(SignInFailure.at).where(
                SignInFailure.kind == kind, SignInFailure.key == key, SignInFailure.at >= since
            )
        ).all()
    )


Limits = tuple[tuple[str, str, int], ...]
TOO_MANY_SIGN_INS = N_("Too many failed sign-in attempts. Try again in %(minutes)s minutes.")
TOO_MANY_RESETS = N_("Too many reset requests. Try again in %(minutes)s minutes.")


def _refuse_over(session: Session, settings: Settings, limits: Limits, message: str, *, counting_this: bool) -> None:
    """Refuses while a key has reached its limit of attempts in the window (passed it, once this one is counted)."""
    now = clock.now()
    window = timedelta(minutes=settings.failure_window_minutes)
    for kind, key, limit in limits:
        times = _failures(session, kind, key, now - window)
        if len(times) > limit or (len(times) == limit and not counting_this):
            wait = min(times) + window - now
            raise TooManyAttempts(message, minutes=max(1, math.ceil(wait.total_seconds() / 60)))


def count_attempt(session: Session, settings: Settings, limits: Limits, message: str) -> list[int]:
    """Counts an attempt against its limits before it is tried: the attempt is recorded and committed, then the
    counts are read, so that attempts made in parallel cannot all pass under the limit."""
    _refuse_over(session, settings, limits, message, counting_this=False)
    now = clock.now()
    rows = [SignInFailure(kind=kind, key=key, at=now) for kind, key, _ in limits]
    session.add_all(rows)
    session.flush()
    ids = [id_of(row) for row in rows]
    session.commit()
    _refuse_over(session, settings, limits, message, counting_this=True)
    return ids


def sign_in_limits(settings: Settings, email: str, address: str) -> Limits:
    """The limits a sign-in attempt counts against: its account's and its address's."""
    return (
        ("account", email, settings.max_failures_per_account),
        ("address", address, settings.max_failures_per_address),
    )


def authenticate(session: Session, settings: Settings, *, email: str, password: str, address: str) -> User:
    """Returns the account for a correct email and password, or raises with one message for every failure.

    The attempt counts as a failure until it succeeds, and the password is checked whether or not the account
    exists, so that neither parallel guesses nor the time of an answer tell more than the message."""
    email = normalise_email(email)[:254]
    attempt = count_attempt(session, settings, sign_in_limits(settings, email, address), TOO_MANY_SIGN_INS)
    user = find_user_by_email(session, email)
    stored, active = (user.password_hash, user.is_active) if user else (None, False)
    session.commit()  # no transaction (nor SQLite's write lock) is held through the slow password check
    correct = verify_password(password[:1024], stored)
    if user is None or not correct or not active:
        raise DomainError(N_("The email address or the password is not correct."), status_code=400)
    session.execute(delete(SignInFailure).where(col(SignInFailure.kind) == "account", col(SignInFailure.key) == email))
    session.execute(delete(SignInFailure).where(col(SignInFailure.id).in_(attempt)))
    return user


def prune_failures(session: Session, settings: Settings) -> None:
    cutoff = clock.now() - timedelta(minutes=settings.failure_window_minutes)
    session.execute(delete(SignInFailure).where(col(SignInFailure.at) < cutoff))
    session.commit()


# Sessions


def start_session(
    session: Session,
    *,
    user: User,
    address: str,
    user_agent: str,
    replaces: UserSession | None = None,
    pending: bool = False,
) -> str:
    """Opens a new session (a new token each sign-in) and returns the cookie's value; a `pending` one waits for the
    second factor and reaches only its pages."""
    now = clock.now()
    if replaces is not None and replaces.ended_at is None:
        replaces.ended_at = now
        session.add(replaces)
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=digest(token),
            user_id=account_id(user),
            csrf_secret=secrets.token_hex(32),
            created_at=now,
            last_seen_at=now,
            address=address[:64],
            user_agent=user_agent[:255],
            second_factor_pending=pending,
        )
    )
    if not pending:
        user.last_sign_in_at = now
        session.add(user)
    audit.record(
        session,
        actor_id=user.id,
        action="password_passed" if pending else "sign_in",
        entity="user",
        entity_id=user.id,
        address=address,
    )
    session.commit()
    return token


# Every request of a signed-in person runs it: built once, since building it cost more than running it.
_VISITOR = (
    select(UserSession, User)
    .join(User, col(User.id) == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def load_visitor(session: Session, settings: Settings, token: str | None) -> Visitor:
    """The visitor behind a session cookie; an ended, idle or too old session is no session."""
    if not token:
        return Visitor()
    row = session.exec(_VISITOR, params={"token_hash": digest(token)}).first()
    if row is None:
        return Visitor()
    auth_session, user = row
    now = clock.now()
    expired = (
        auth_session.ended_at is not None
        or not user.is_active
        or now - auth_session.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
        or now - auth_session.created_at > timedelta(hours=settings.session_absolute_hours)
        or (auth_session.second_factor_pending and now - auth_session.created_at > PENDING_LIFETIME)
    )
    if expired:
        if auth_session.ended_at is None:
            auth_session.ended_at = now
            session.add(auth_session)
            session.commit()
        return Visitor()
    if auth_session.second_factor_pending:
        return Visitor(auth_session=auth_session, pending=user)
    if now - auth_session.last_seen_at > TOUCH_EVERY:
        _note_use(session, auth_session, now)
    return Visitor(user=user, auth_session=auth_session)


def _note_use(session: Session, auth_session: UserSession, now: datetime) -> None:
    """Notes that a session is in use (at most once a minute, for the idle limit). Best effort: SQLite refuses a
    write from a request whose snapshot another writer has overtaken, and such a request must not fail for it — the
    next request notes the use instead."""
    auth_session.last_seen_at = now
    session.add(auth_session)
    try:
        session.commit()
    except OperationalError as refused:
        session.rollback()
        logger.info("session use not noted, the database was busy: %s", refused.orig)


def end_session(session: Session, *, auth_session: UserSession) -> None:
    auth_session.ended_at = clock.now()
    session.add(auth_session)
    audit.record(
        session, actor_id=auth_session.user_id, action="sign_out", entity="user", entity_id=auth_session.user_id
    )
    session.commit()


def end_sessions(session: Session, *, user_id: int | None, keep_id: int | None = None) -> int:
    statement = update(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
    if keep_id is not None:
        statement = statement.where(col(UserSession.id) != keep_id)
    result = session.execute(statement.values(ended_at=clock.now()))
    return int(getattr(result, "rowcount", 0) or 0)


def end_all_sessions(session: Session, *, user: User, actor_id: int) -> int:
    """Signs an account out everywhere (an admin's action); returns how many sessions ended."""
    count = _sign_out_everywhere(session, user=user, actor_id=actor_id)
    session.commit()
    return count


def _sign_out_everywhere(session: Session, *, user: User, actor_id: int) -> int:
    """Ends every session of the account and records how many; the caller commits."""
    count = end_sessions(session, user_id=user.id)
    audit.record(
        session,
        actor_id=actor_id,
        action="end_sessions",
        entity="user",
        entity_id=user.id,
        after={"sessions_ended": count},
    )
    return count


# One-time links


def issue_token(session: Session, *, user: User, purpose: str, lifetime: timedelta) -> str:
    """Creates a one-time token (older unused ones of the same purpose stop working); the caller commits."""
    now = clock.now()
    session.execute(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.user_id) == user.id,
            col(OneTimeToken.purpose) == purpose,
            col(OneTimeToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            token_hash=digest(token),
            purpose=purpose,
            user_id=account_id(user),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def peek_token(session: Session, *, token: str, purpose: str) -> tuple[OneTimeToken, User]:
    """The token's row and account if the link can still be used; a clear refusal otherwise."""
    row = session.exec(
        select(OneTimeToken, User)
        .join(User, col(User.id) == OneTimeToken.user_id)
        .where(OneTimeToken.token_hash == digest(token), OneTimeToken.purpose == purpose)
    ).first()
    if row is None:
        raise DomainError(N_("This link is not valid. Ask for a new one."), status_code=400)
    one_time, user = row
    if one_time.used_at is not None:
        raise DomainError(N_("This link has been used already. Ask for a new one."), status_code=400)
    if one_time.expires_at <= clock.now():
        raise DomainError(N_("This link has expired. Ask for a new one."), status_code=400)
    if not user.is_active:
        raise Forbidden(N_("This account is deactivated."))
    return one_time, user


def consume_token(session: Session, *, token: str, purpose: str) -> User:
    """Marks a token used, atomically: of two requests with the same link only one succeeds."""
    one_time, user = peek_token(session, token=token, purpose=purpose)
    result = session.execute(
        update(OneTimeToken)
        .where(col(OneTimeToken.id) == one_time.id, col(OneTimeToken.used_at).is_(None))
        .values(used_at=clock.now())
    )
    if getattr(result, "rowcount", 0) != 1:
        session.rollback()
        raise DomainError(N_("This link has been used already. Ask for a new one."), status_code=400)
    return user


def request_password_reset(
    session: Session, settings: Settings, *, email: str, language: str, address: str = ""
) -> None:
    """Emails a reset link when the account exists; says nothing either way, so accounts cannot be probed. Requests
    are limited per address typed and per network address, whether the account exists or not."""
    email = normalise_email(email)[:254]
    limits = (
        ("reset:acct", email, settings.max_resets_per_account),
        ("reset:addr", address, settings.max_resets_per_address),
    )
    count_attempt(session, settings, limits, TOO_MANY_RESETS)
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    token = issue_token(session, user=user, purpose="reset", lifetime=timedelta(minutes=settings.reset_link_minutes))
    subject, body = mail.reset_message(
        user=user,
        link=f"{settings.base_url}/auth/reset/{token}",
        minutes=settings.reset_link_minutes,
        portal=region.load(settings.seeds_dir).short_name(user.language),
    )
    outbox.queue(session, recipient=user.email, subject=subject, body=body)
    audit.record(session, actor_id=None, action="request_reset", entity="user", entity_id=user.id)
    session.commit()


def reset_password(session: Session, *, token: str, new: str) -> User:
    _, user = peek_token(session, token=token, purpose="reset")
    check_new_password(new, email=user.email)
    user = consume_token(session, token=token, purpose="reset")
    _set_password(session, user=user, new=new, keep=None)
    session.commit()
    return user


def sign_in_link(session: Session, settings: Settings, *, user: User) -> str:
    """A one-time sign-in link (first admin, or a locked-out admin), printed on the console."""
    token = issue_token(session, user=user, purpose="signin", lifetime=timedelta(hours=settings.signin_link_hours))
    audit.record(session, actor_id=None, action="issue_signin_link", entity="user", entity_id=user.id)
    session.commit()
    return f"{settings.base_url}/auth/link/{token}"


def ensure_first_admin(session: Session, settings: Settings, *, email: str) -> str | None:
    """Creates the first admin when there is none; returns a sign-in link while no admin has a password."""
    admins = session.exec(select(User).where(User.role == Role.admin)).all()
    if any(admin.password_hash for admin in admins):
        return None
    admin = (
        admins[0]
        if admins
        else create_user(session, email=email, display_name="Administrator", role=Role.admin, actor_id=None)
    )
    return sign_in_link(session, settings, user=admin)


# Single sign-on


def sso_account(session: Session, *, issuer: str, subject: str, email: str | None, email_verified: bool) -> User:
    """The account of an SSO identity: linked before, or linked now by a verified email; refused otherwise."""
    row = session.exec(
        select(SsoIdentity, User)
        .join(User, col(User.id) == SsoIdentity.user_id)
        .where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    ).first()
    if row is not None:
        user = row[1]
    else:
        if not email or not email_verified:
            raise Forbidden(
                N_(
                    "Your identity provider has not verified your email address, so it cannot be "
                    "linked to an account here. Sign in with your password or ask a coordinator."
                )
            )
        found = find_user_by_email(session, email)
        if found is None:
            raise Forbidden(
                N_("No account here uses the email address of your identity provider. Ask a coordinator to invite you.")
            )
        user = found
        session.add(SsoIdentity(user_id=account_id(user), issuer=issuer, subject=subject, linked_at=clock.now()))
        audit.record(
            session, actor_id=user.id, action="link_sso", entity="user", entity_id=user.id, after={"issuer": issuer}
        )
    if not user.is_active:
        raise Forbidden(N_("This account is deactivated."))
    return user


def invite_user(
    session: Session,
    settings: Settings,
    *,
    email: str,
    display_name: str,
    role: str,
    member_state_id: int | None,
    organisation: str,
    actor_id: int,
) -> User:
    """Creates an account and emails a one-time sign-in link, in one transaction. Two invitations of one address at
    the same moment make one account: the other is refused like a later one."""
    with once(session, N_("An account with this email address exists already.")):
        user = create_user(
            session,
            email=email,
            display_name=display_name,
            role=role,
            actor_id=actor_id,
            member_state_id=member_state_id,
            organisation=organisation,
        )
        _send_sign_in_link(session, settings, user=user)
        session.commit()
    return user


def awaits_first_sign_in(user: User) -> bool:
    """Whether the account's owner has yet to sign in for the first time (no password, never signed in)."""
    return user.password_hash is None and user.last_sign_in_at is None


def resend_sign_in_link(session: Session, settings: Settings, *, user: User, actor_id: int) -> None:
    """Emails a new one-time sign-in link to an account not used yet; the earlier link stops working."""
    if not user.is_active:
        raise Conflict(N_("This account is deactivated. Reactivate it first."))
    if not awaits_first_sign_in(user):
        raise Conflict(
            N_(
                "The owner of this account has signed in or chosen a password already. If the password is "
                "forgotten, “Forgot your password?” on the sign-in page sends a new link."
            )
        )
    _send_sign_in_link(session, settings, user=user)
    audit.record(session, actor_id=actor_id, action="resend_signin_link", entity="user", entity_id=user.id)
    session.commit()


def _send_sign_in_link(session: Session, settings: Settings, *, user: User) -> None:
    """Queues the welcome email with a new one-time sign-in link; the caller commits."""
    token = issue_token(session, user=user, purpose="signin", lifetime=timedelta(hours=settings.signin_link_hours))
    subject, body = mail.welcome_message(
        user=user,
        link=f"{settings.base_url}/auth/link/{token}",
        hours=settings.signin_link_hours,
        portal=region.load(settings.seeds_dir).short_name(user.language),
    )
    outbox.queue(session, recipient=user.email, subject=subject, body=body)
