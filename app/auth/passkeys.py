"""Passkeys (WebAuthn): registering several per account, using one as the second factor after the password, or
signing in with one alone (a discoverable credential with user verification is two factors by itself).

Challenges live in the database, not in the process: each is used once, within five minutes, for the ceremony it
was made for, by the visitor it was given to (the digest of their CSRF token) and, where known, for one account.
The relying party is the host of the configured base URL; WebAuthn refuses IP addresses as relying-party ids, so
passkeys are offered only when the portal is reached by name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

import webauthn
from sqlalchemy import delete, update
from sqlmodel import Session, col, select
from webauthn.helpers import parse_authenticator_data, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.audit import service as audit
from app.auth import mail
from app.auth.models import Passkey, User, WebAuthnChallenge
from app.auth.second_factor import clear_failures, drop_recovery_codes, email_owner, has_totp, must_use, record_failure
from app.auth.service import TOO_MANY_SIGN_INS, account_id, count_attempt, sign_in_limits
from app.core import clock, region
from app.core.config import Settings
from app.core.errors import Conflict, DomainError, NotFound
from app.core.i18n import N_

CHALLENGE_LIFETIME = timedelta(minutes=5)
NAME_MAX = 60
PURPOSES = ("register", "second_factor", "sign_in")

NEEDS_A_NAME = N_(
    "Passkeys need the portal to be reached by its name (for example http://localhost:8000), not by an IP address."
)
REFUSED = N_("This passkey was not accepted. Try again, or use another way to sign in.")
UNKNOWN = N_("This passkey is not registered for this account. Use one you added, or another way to sign in.")
STALE = N_("This passkey request has expired or has been used already. Try again.")
COUNTER_BACKWARDS = N_(
    "This passkey was refused: its counter went backwards, which happens when a passkey has been copied. "
    "Use another way to sign in and tell an admin."
)
NOT_REGISTERED = N_("The passkey could not be added. Try again, with an authenticator that checks who you are.")


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party(settings: Settings) -> RelyingParty | None:
    """The relying party of the configured base URL, or None when its host is an IP address."""
    parts = urlsplit(settings.base_url)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
        return RelyingParty(id=host, origin=origin)
    return None


def _relying_party(settings: Settings) -> RelyingParty:
    rp = relying_party(settings)
    if rp is None:
        raise Conflict(NEEDS_A_NAME)
    return rp


def binding_of(csrf_token: str) -> str:
    """What a challenge is bound to: the digest of the visitor's CSRF token (their session or anonymous cookie)."""
    return hashlib.sha256(csrf_token.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _user_handle(settings: Settings, user: User) -> bytes:
    """The account's opaque WebAuthn user handle: no email nor database id leaves the portal."""
    key = hashlib.sha256(b"prcn:passkey-user:" + settings.secret().encode()).digest()
    return hmac.new(key, str(account_id(user)).encode(), hashlib.sha256).digest()


# Listing


def passkeys_of(session: Session, user: User) -> list[Passkey]:
    return list(
        session.exec(
            select(Passkey).where(Passkey.user_id == user.id).order_by(col(Passkey.created_at), col(Passkey.id))
        )
    )


# Challenges


def _new_challenge(session: Session, *, purpose: str, binding: str, user_id: int | None) -> bytes:
    now = clock.now()
    session.execute(delete(WebAuthnChallenge).where(col(WebAuthnChallenge.expires_at) < now))
    # One challenge waits per visitor and ceremony: asking again replaces it, so repeated asking adds no rows.
    session.execute(
        delete(WebAuthnChallenge).where(
            col(WebAuthnChallenge.binding) == binding,
            col(WebAuthnChallenge.purpose) == purpose,
            col(WebAuthnChallenge.used_at).is_(None),
        )
    )
    challenge = secrets.token_bytes(32)
    session.add(
        WebAuthnChallenge(
            challenge=_b64(challenge),
            purpose=purpose,
            binding=binding,
            user_id=user_id,
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    session.commit()
    return challenge


def _take_challenge(session: Session, *, challenge: str, purpose: str, binding: str, user_id: int | None) -> bool:
    """Uses up a challenge, atomically: of two requests with one challenge only one passes."""
    now = clock.now()
    statement = update(WebAuthnChallenge).where(
        col(WebAuthnChallenge.challenge) == challenge[:128],
        col(WebAuthnChallenge.purpose) == purpose,
        col(WebAuthnChallenge.binding) == binding,
        col(WebAuthnChallenge.used_at).is_(None),
        col(WebAuthnChallenge.expires_at) > now,
    )
    if user_id is not None:
        statement = statement.where(col(WebAuthnChallenge.user_id) == user_id)
    result = session.execute(statement.values(used_at=now))
    session.commit()
    return getattr(result, "rowcount", 0) == 1


# Reading what the browser sent


@dataclass
class Answer:
    """The parts of a browser's answer the portal checks before the signature."""

    raw: dict[str, Any]
    credential_id: str
    challenge: str
    origin: str
    rp_id_hash: bytes | None
    sign_count: int | None


def _answer(credential: object, *, assertion: bool) -> Answer:
    if not isinstance(credential, dict):
        raise DomainError(REFUSED)
    try:
        credential_id = credential["id"]
        response = credential["response"]
        client_data = parse_client_data_json(_unb64(response["clientDataJSON"]))
        rp_id_hash = sign_count = None
        if assertion:
            data = parse_authenticator_data(_unb64(response["authenticatorData"]))
            rp_id_hash, sign_count = data.rp_id_hash, data.sign_count
    except (WebAuthnException, KeyError, TypeError, ValueError, binascii.Error, AttributeError, IndexError):
        raise DomainError(REFUSED) from None
    if not isinstance(credential_id, str) or not 0 < len(credential_id) <= 1400:
        raise DomainError(REFUSED)
    return Answer(
        raw=credential,
        credential_id=credential_id,
        challenge=_b64(client_data.challenge),
        origin=client_data.origin,
        rp_id_hash=rp_id_hash,
        sign_count=sign_count,
    )


def parse_json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nested past the limit
        return None


# Registering


def registration_options(session: Session, settings: Settings, *, user: User, binding: str) -> str:
    """The options for navigator.credentials.create(), as JSON: a discoverable credential with user verification,
    none of the account's passkeys again."""
    rp = _relying_party(settings)
    challenge = _new_challenge(session, purpose="register", binding=binding, user_id=account_id(user))
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=region.load(settings.seeds_dir).short_name(user.language),
        user_name=user.email,
        user_id=_user_handle(settings, user),
        user_display_name=user.display_name,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_unb64(p.credential_id)) for p in passkeys_of(session, user)
        ],
    )
    return webauthn.options_to_json(options)


def clean_name(name: object) -> str:
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text:
        raise DomainError(N_("Give the passkey a name, for example “office laptop”."))
    if len(text) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise DomainError(N_("A passkey’s name has at most %(max)s characters."), max=NAME_MAX)
    return text


def register(
    session: Session, settings: Settings, *, user: User, binding: str, name: object, credential: object
) -> Passkey:
    """Adds a passkey to the account from the browser's answer to the registration options; audited, emailed."""
    rp = _relying_party(settings)
    label = clean_name(name)
    answer = _answer(credential, assertion=False)
    if not _take_challenge(
        session, challenge=answer.challenge, purpose="register", binding=binding, user_id=account_id(user)
    ):
        raise DomainError(STALE)
    try:
        verified = webauthn.verify_registration_response(
            credential=answer.raw,
            expected_challenge=_unb64(answer.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, AttributeError):
        raise DomainError(NOT_REGISTERED) from None
    credential_id = _b64(verified.credential_id)
    if session.exec(select(Passkey.id).where(Passkey.credential_id == credential_id)).first() is not None:
        raise Conflict(N_("This passkey has been added already."))
    known = {t.value for t in AuthenticatorTransport}
    transports = answer.raw.get("response", {}).get("transports") or []
    passkey = Passkey(
        user_id=account_id(user),
        credential_id=credential_id,
        public_key=_b64(verified.credential_public_key),
        sign_count=verified.sign_count,
        transports=",".join(t for t in transports if isinstance(t, str) and t in known)[:200],
        name=label,
        created_at=clock.now(),
    )
    session.add(passkey)
    session.flush()
    audit.record(
        session, actor_id=user.id, action="add_passkey", entity="user", entity_id=user.id, after={"name": label}
    )
    email_owner(session, settings, user, mail.passkey_added_message, name=label)
    session.commit()
    return passkey


# Using a passkey


def authentication_options(session: Session, settings: Settings, *, binding: str, user: User | None) -> str:
    """The options for navigator.credentials.get(), as JSON: the account's passkeys for the second factor, or any
    discoverable credential of this portal to sign in without a password."""
    rp = _relying_party(settings)
    allow = None
    if user is not None:
        allow = [
            PublicKeyCredentialDescriptor(
                id=_unb64(p.credential_id),
                transports=[AuthenticatorTransport(t) for t in p.transports.split(",") if t],
            )
            for p in passkeys_of(session, user)
        ]
    challenge = _new_challenge(
        session,
        purpose="second_factor" if user is not None else "sign_in",
        binding=binding,
        user_id=account_id(user) if user is not None else None,
    )
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return webauthn.options_to_json(options)


def _refusal(answer: Answer, rp: RelyingParty, passkey: Passkey | None) -> tuple[str, str] | None:
    """Why an answer is refused before its signature is checked (reason for the audit, message), if it is."""
    if passkey is None:
        return "unknown_credential", UNKNOWN
    if answer.origin != rp.origin:
        return "origin", REFUSED
    if answer.rp_id_hash != hashlib.sha256(rp.id.encode()).digest():
        return "rp_id", REFUSED
    count = answer.sign_count or 0
    if (count or passkey.sign_count) and count <= passkey.sign_count:
        return "counter", COUNTER_BACKWARDS
    return None


def _verify(session: Session, rp: RelyingParty, answer: Answer, passkey: Passkey) -> bool:
    """Checks the signature and user verification, then stores the new counter, atomically (so that of two requests
    with one counter value only one passes)."""
    try:
        verified = webauthn.verify_authentication_response(
            credential=answer.raw,
            expected_challenge=_unb64(answer.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=_unb64(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, AttributeError):
        return False
    new = verified.new_sign_count
    result = session.execute(
        update(Passkey)
        .where(
            col(Passkey.id) == passkey.id,
            col(Passkey.sign_count) < new if new else col(Passkey.sign_count) == 0,
        )
        .values(sign_count=new, last_used_at=clock.now())
    )
    return getattr(result, "rowcount", 0) == 1


def _fail(session: Session, settings: Settings, user: User | None, reason: str, message: str, address: str) -> NoReturn:
    session.rollback()
    if user is not None:
        audit.record(
            session,
            actor_id=user.id,
            action="passkey_refused",
            entity="user",
            entity_id=user.id,
            after={"reason": reason},
            address=address,
        )
        record_failure(session, settings, user, "passkey")
    else:
        audit.record(
            session, actor_id=None, action="passkey_refused", entity="user", after={"reason": reason}, address=address
        )
        session.commit()
    raise DomainError(message)


def check_second_factor(
    session: Session, settings: Settings, *, user: User, binding: str, credential: object, address: str
) -> Passkey:
    """Completes the step after the password with one of the account's passkeys; every attempt counts against the
    sign-in limits until one passes, and a refusal is audited and changes nothing else."""
    rp = _relying_party(settings)
    attempt = count_attempt(session, settings, sign_in_limits(settings, user.email, address), TOO_MANY_SIGN_INS)
    try:
        answer = _answer(credential, assertion=True)
    except DomainError:
        _fail(session, settings, user, "malformed", REFUSED, address)
    if not _take_challenge(
        session, challenge=answer.challenge, purpose="second_factor", binding=binding, user_id=account_id(user)
    ):
        _fail(session, settings, user, "challenge", STALE, address)
    passkey = session.exec(
        select(Passkey).where(Passkey.credential_id == answer.credential_id, Passkey.user_id == user.id)
    ).first()
    refusal = _refusal(answer, rp, passkey)
    if refusal is not None:
        _fail(session, settings, user, *refusal, address)
    assert passkey is not None
    if not _verify(session, rp, answer, passkey):
        _fail(session, settings, user, "signature", REFUSED, address)
    clear_failures(session, user, attempt)
    return passkey


def sign_in(session: Session, settings: Settings, *, binding: str, credential: object, address: str) -> User:
    """Signs in without a password with a discoverable passkey (user verification makes it two factors). Attempts
    count against the address's limit, and against the account's once the passkey names one."""
    rp = _relying_party(settings)
    attempt = count_attempt(
        session, settings, (("address", address, settings.max_failures_per_address),), TOO_MANY_SIGN_INS
    )
    try:
        answer = _answer(credential, assertion=True)
    except DomainError:
        _fail(session, settings, None, "malformed", REFUSED, address)
    if not _take_challenge(session, challenge=answer.challenge, purpose="sign_in", binding=binding, user_id=None):
        _fail(session, settings, None, "challenge", STALE, address)
    row = session.exec(
        select(Passkey, User)
        .join(User, col(User.id) == Passkey.user_id)
        .where(Passkey.credential_id == answer.credential_id)
    ).first()
    if row is None or not row[1].is_active:
        _fail(
            session, settings, None, "unknown_credential", N_("This passkey is not registered on this portal."), address
        )
    assert row is not None
    passkey, user = row
    attempt += count_attempt(
        session, settings, (("account", user.email, settings.max_failures_per_account),), TOO_MANY_SIGN_INS
    )
    refusal = _refusal(answer, rp, passkey)
    if refusal is not None:
        _fail(session, settings, user, *refusal, address)
    if not _verify(session, rp, answer, passkey):
        _fail(session, settings, user, "signature", REFUSED, address)
    clear_failures(session, user, attempt)
    return user


# Removing


def remove(session: Session, settings: Settings, *, user: User, passkey_id: int) -> None:
    """The owner removes one of their passkeys (not the last second factor of a role that must use one)."""
    passkey = session.exec(select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)).first()
    if passkey is None:
        raise NotFound(N_("This passkey does not exist, or it has been removed already."))
    others = [p for p in passkeys_of(session, user) if p.id != passkey.id]
    if must_use(settings, user) and not others and not has_totp(session, user):
        raise Conflict(
            N_(
                "Your role must use a second factor: add another passkey or an authenticator app before removing "
                "this one."
            )
        )
    session.delete(passkey)
    if not others and not has_totp(session, user):
        drop_recovery_codes(session, user)
    audit.record(
        session,
        actor_id=user.id,
        action="remove_passkey",
        entity="user",
        entity_id=user.id,
        before={"name": passkey.name},
    )
    email_owner(session, settings, user, mail.passkey_removed_message, name=passkey.name)
    session.commit()
