"""The second factor: authenticator-app codes (TOTP, RFC 6238) and single-use recovery codes, the policy of who must
use one, and an admin's reset.

A code is accepted within one time step either side of now, once: the step of the last accepted code is stored and
only a later step is accepted after it, so neither a replayed code nor one of an earlier window passes. Secrets are
encrypted with a key derived (HKDF) from the portal's secret key; recovery codes are stored as keyed hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time
from datetime import timedelta

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import mail
from app.auth.models import Passkey, RecoveryCode, SignInFailure, TotpFactor, User, UserSession
from app.auth.service import (
    TOO_MANY_SIGN_INS,
    account_id,
    count_attempt,
    end_sessions,
    sign_in_limits,
)
from app.core import clock, region
from app.core.config import Settings
from app.core.errors import Conflict, DomainError
from app.core.i18n import N_
from app.outbox import service as outbox

STEP_SECONDS = 30
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread

WRONG_CODE = N_("This code is not correct, or it has been used already. Wait for the next code and try again.")
WRONG_RECOVERY_CODE = N_("This recovery code is not correct, or it has been used already.")


# Keys


def _derived(settings: Settings, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"prcn:" + purpose).derive(
        settings.secret().encode()
    )


def _fernet(settings: Settings) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived(settings, b"totp-secret")))


def _recovery_hash(settings: Settings, code: str) -> str:
    return hmac.new(_derived(settings, b"recovery-code"), code.encode(), hashlib.sha256).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())[:32]


# Policy


def totp_of(session: Session, user: User) -> TotpFactor | None:
    return session.exec(select(TotpFactor).where(TotpFactor.user_id == user.id)).first()


def has_totp(session: Session, user: User) -> bool:
    """Whether the account has a confirmed authenticator app."""
    factor = totp_of(session, user)
    return factor is not None and factor.confirmed_at is not None


def has_passkey(session: Session, user: User) -> bool:
    return session.exec(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)).first() is not None


def has_factor(session: Session, user: User) -> bool:
    """Whether the account has a second factor: an authenticator app or a passkey."""
    return has_totp(session, user) or has_passkey(session, user)


def must_use(settings: Settings, user: User) -> bool:
    """Whether the account's role must use a second factor."""
    return user.role in settings.second_factor_roles


def due(session: Session, settings: Settings, user: User, *, provider_mfa: bool = False) -> bool:
    """Whether a sign-in of this account must still pass a second factor: it has one, or its role must have one —
    unless the identity provider's own multi-factor sign-in is trusted and was shown."""
    if provider_mfa and settings.oidc_trust_mfa:
        return False
    return must_use(settings, user) or has_factor(session, user)


def provider_did_mfa(settings: Settings, claims: dict[str, object]) -> bool:
    """Whether the ID token says the provider used more than one factor: RFC 8176 `amr` "mfa", or an `acr` the
    settings list as multi-factor."""
    amr = claims.get("amr")
    acr = claims.get("acr")
    return (isinstance(amr, list) and "mfa" in amr) or (isinstance(acr, str) and acr in settings.multi_factor_acr)


# Enrolment


def enrolment_secret(session: Session, settings: Settings, *, user: User) -> str:
    """The secret being enrolled (a new one when none is), for the QR code and the text to type."""
    factor = totp_of(session, user) or _new_totp(session, settings, user)
    if factor.confirmed_at is not None:
        raise Conflict(N_("An authenticator app is set up already."))
    return _plain(settings, factor)


def _new_totp(session: Session, settings: Settings, user: User) -> TotpFactor:
    """Stores a new secret to enrol; when the page opened in another tab at the same moment stored one first (the
    database keeps one per account), that one."""
    secret = _fernet(settings).encrypt(pyotp.random_base32().encode()).decode()
    factor = TotpFactor(user_id=account_id(user), secret=secret, created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(factor)
    except IntegrityError:
        return session.exec(select(TotpFactor).where(TotpFactor.user_id == user.id)).one()
    session.commit()
    return factor


def _plain(settings: Settings, factor: TotpFactor) -> str:
    try:
        return _fernet(settings).decrypt(factor.secret.encode()).decode()
    except InvalidToken:
        raise DomainError(
            N_("The authenticator secret cannot be read with this portal's secret key. Ask an admin to reset it."),
            status_code=500,
        ) from None


def provisioning_uri(settings: Settings, *, user: User, secret: str) -> str:
    portal = region.load(settings.seeds_dir).short_name(user.language)
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=portal)


def qr_svg(uri: str) -> bytes:
    """The QR code as a standalone SVG document (paths and attributes only, no style or script)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, light="#fff", xmldecl=True, svgns=True)
    return out.getvalue()


def _step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def _matching_step(secret: str, code: str, last_step: int | None, now: float | None) -> int | None:
    """The step (now ±1) whose code this is, if later than the last one accepted."""
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return None
    hotp = pyotp.HOTP(secret)
    current = _step(now)
    for step in (current - 1, current, current + 1):
        if step < 0 or (last_step is not None and step <= last_step):
            continue
        if hmac.compare_digest(hotp.at(step), code):
            return step
    return None


def _accept_step(session: Session, factor: TotpFactor, step: int) -> bool:
    """Stores the step of an accepted code, atomically: of two requests with one code only one is accepted."""
    result = session.execute(
        update(TotpFactor)
        .where(
            col(TotpFactor.id) == factor.id,
            or_(col(TotpFactor.last_step).is_(None), col(TotpFactor.last_step) < step),
        )
        .values(last_step=step)
    )
    return getattr(result, "rowcount", 0) == 1


def confirm_enrolment(
    session: Session, settings: Settings, *, user: User, code: str, now: float | None = None
) -> list[str]:
    """Confirms the authenticator app with a first code; returns ten new recovery codes, to be shown once."""
    factor = totp_of(session, user)
    if factor is None:
        raise DomainError(N_("Start again: open the page to set up an authenticator app."))
    if factor.confirmed_at is not None:
        raise Conflict(N_("An authenticator app is set up already."))
    step = _matching_step(_plain(settings, factor), code, factor.last_step, now)
    if step is None or not _accept_step(session, factor, step):
        session.rollback()
        raise DomainError(WRONG_CODE)
    factor.confirmed_at = clock.now()
    session.add(factor)
    codes = _new_recovery_codes(session, settings, user=user)
    audit.record(session, actor_id=user.id, action="add_second_factor", entity="user", entity_id=user.id)
    email_owner(session, settings, user, mail.factor_added_message)
    session.commit()
    return codes


def _new_recovery_codes(session: Session, settings: Settings, *, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=account_id(user), code_hash=_recovery_hash(settings, raw)))
    return codes


def remaining_recovery_codes(session: Session, user: User) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(RecoveryCode)
            .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
        ).one()
    )


# Checking a sign-in's second factor


def check_code(
    session: Session, settings: Settings, *, user: User, code: str, address: str, now: float | None = None
) -> None:
    """Accepts a current authenticator code once; every attempt counts against the sign-in limits until one passes."""
    attempt = count_attempt(session, settings, sign_in_limits(settings, user.email, address), TOO_MANY_SIGN_INS)
    factor = totp_of(session, user)
    step = None
    if factor is not None and factor.confirmed_at is not None:
        step = _matching_step(_plain(settings, factor), code, factor.last_step, now)
    if factor is None or step is None or not _accept_step(session, factor, step):
        session.rollback()
        record_failure(session, settings, user, "code")
        raise DomainError(WRONG_CODE)
    clear_failures(session, user, attempt)


def use_recovery_code(session: Session, settings: Settings, *, user: User, code: str, address: str) -> int:
    """Accepts an unused recovery code once and emails the account; returns how many remain."""
    attempt = count_attempt(session, settings, sign_in_limits(settings, user.email, address), TOO_MANY_SIGN_INS)
    wanted = _recovery_hash(settings, _normalise_code(code))
    result = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == wanted,
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=clock.now())
    )
    if getattr(result, "rowcount", 0) != 1:
        session.rollback()
        record_failure(session, settings, user, "recovery_code")
        raise DomainError(WRONG_RECOVERY_CODE)
    remaining = remaining_recovery_codes(session, user)
    audit.record(
        session,
        actor_id=user.id,
        action="use_recovery_code",
        entity="user",
        entity_id=user.id,
        after={"remaining": remaining},
    )
    email_owner(session, settings, user, mail.recovery_code_used_message, remaining=remaining)
    clear_failures(session, user, attempt)
    return remaining


def record_failure(session: Session, settings: Settings, user: User, kind: str) -> None:
    """Records a refused second factor; the account's owner is emailed when the refusals reach the sign-in limit
    (their password is known to whoever is trying)."""
    audit.record(
        session, actor_id=user.id, action="second_factor_failed", entity="user", entity_id=user.id, after={"kind": kind}
    )
    since = clock.now() - timedelta(minutes=settings.failure_window_minutes)
    failures = session.exec(
        select(func.count())
        .select_from(SignInFailure)
        .where(
            col(SignInFailure.kind) == "account", col(SignInFailure.key) == user.email, col(SignInFailure.at) >= since
        )
    ).one()
    if int(failures) == settings.max_failures_per_account:
        email_owner(session, settings, user, mail.factor_failures_message, count=int(failures))
    session.commit()


def clear_failures(session: Session, user: User, attempt: list[int]) -> None:
    """After a second factor passed: forgets the account's refused attempts and this attempt's count, and commits."""
    session.execute(
        delete(SignInFailure).where(col(SignInFailure.kind) == "account", col(SignInFailure.key) == user.email)
    )
    session.execute(delete(SignInFailure).where(col(SignInFailure.id).in_(attempt)))
    session.commit()


def renew_recovery_codes(session: Session, settings: Settings, *, user: User) -> list[str]:
    """Ten new recovery codes in place of the old ones (all of which stop working), shown once."""
    if not has_factor(session, user):
        raise Conflict(N_("No second factor is set up."))
    codes = _new_recovery_codes(session, settings, user=user)
    audit.record(session, actor_id=user.id, action="renew_recovery_codes", entity="user", entity_id=user.id)
    email_owner(session, settings, user, mail.recovery_codes_renewed_message)
    session.commit()
    return codes


# Removal and reset


def remove(session: Session, settings: Settings, *, user: User, keep: UserSession | None) -> None:
    """The owner removes their authenticator app and recovery codes (refused when their role must have a second
    factor and no passkey would remain)."""
    if must_use(settings, user) and not has_passkey(session, user):
        raise Conflict(N_("Your role must use a second factor, so it cannot be removed. Ask an admin to reset it."))
    if not _clear(session, user):
        raise Conflict(N_("No second factor is set up."))
    end_sessions(session, user_id=user.id, keep_id=keep.id if keep else None)
    audit.record(session, actor_id=user.id, action="remove_second_factor", entity="user", entity_id=user.id)
    email_owner(session, settings, user, mail.factor_removed_message)
    session.commit()


def reset(session: Session, settings: Settings, *, user: User, actor_id: int) -> None:
    """An admin resets another account's second factor (authenticator app, recovery codes, passkeys): it is
    removed, the owner emailed and signed out everywhere; their next sign-in asks for a new one when their role must
    use one."""
    if user.id == actor_id:
        raise Conflict(N_("You cannot reset your own second factor; ask another admin."))
    if not _clear(session, user, passkeys=True):
        raise Conflict(N_("This account has no second factor to reset."))
    ended = end_sessions(session, user_id=user.id)
    audit.record(
        session,
        actor_id=actor_id,
        action="reset_second_factor",
        entity="user",
        entity_id=user.id,
        after={"sessions_ended": ended},
    )
    email_owner(session, settings, user, mail.factor_reset_message)
    session.commit()


def _clear(session: Session, user: User, *, passkeys: bool = False) -> bool:
    found = session.execute(delete(TotpFactor).where(col(TotpFactor.user_id) == user.id))
    if passkeys or not has_passkey(session, user):
        drop_recovery_codes(session, user)
    removed = bool(getattr(found, "rowcount", 0))
    if passkeys:
        removed = (
            bool(getattr(session.execute(delete(Passkey).where(col(Passkey.user_id) == user.id)), "rowcount", 0))
            or removed
        )
    return removed


def drop_recovery_codes(session: Session, user: User) -> None:
    """The account's recovery codes, once no factor is left for them to stand in for."""
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))


def email_owner(session: Session, settings: Settings, user: User, message: object, **values: object) -> None:
    """Queues one of app.auth.mail's messages about the account's factors to its owner, in their language."""
    portal = region.load(settings.seeds_dir).short_name(user.language)
    assert callable(message)
    subject, body = message(user=user, portal=portal, **values)
    outbox.queue(session, recipient=user.email, subject=subject, body=body)
