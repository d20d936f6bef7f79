"""Accounts and everything that proves who is asking: sessions, one-time links, SSO identities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core import clock
from app.core.choices import one_of
from app.core.config import LANGUAGES
from app.core.db import UTCDateTime
from app.core.i18n import N_


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    focal_point = "focal_point"
    observer = "observer"


ROLE_LABELS: dict[str, str] = {
    Role.admin: N_("Admin"),
    Role.coordinator: N_("LCM coordinator"),
    Role.focal_point: N_("Focal point"),
    Role.observer: N_("Observer"),
}


class LimitKind(StrEnum):
    """What a counted attempt counts against: a sign-in's account or network address, a reset request's."""

    account = "account"
    address = "address"
    reset_account = "reset:acct"
    reset_address = "reset:addr"


class TokenPurpose(StrEnum):
    reset = "reset"
    signin = "signin"
    invite = "invite"


class ChallengePurpose(StrEnum):
    register = "register"
    second_factor = "second_factor"
    sign_in = "sign_in"


class UserBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=20)
    member_state_id: int | None = Field(default=None, foreign_key="member_state.id")
    organisation: str = Field(default="", max_length=120)
    language: str = Field(default="en", max_length=5)
    time_zone: str = Field(default="UTC", max_length=64)


class User(UserBase, table=True):
    __tablename__ = "user_account"
    __table_args__ = (one_of("role", Role), one_of("language", LANGUAGES))

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    created_at: datetime = Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))
    last_sign_in_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    preferences_confirmed_at: datetime | None = Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=True),
        description="when the owner confirmed time zone and language (asked at first sign-in until then)",
    )


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_secret: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
    second_factor_pending: bool = Field(
        default=False, description="the password (or link, or SSO) is done but the second factor is still asked"
    )


class SignInFailure(SQLModel, table=True):
    """An attempt counted against a limit, per account and per address: a sign-in (until it succeeds) or a
    password-reset request (kinds "reset:acct" and "reset:addr")."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (one_of("kind", LimitKind),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    key: str = Field(max_length=254, index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class OneTimeToken(SQLModel, table=True):
    """A link sent or printed once: password reset, first sign-in, invitation."""

    __tablename__ = "one_time_token"
    __table_args__ = (one_of("purpose", TokenPurpose),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    purpose: str = Field(max_length=20)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SsoIdentity(SQLModel, table=True):
    """An OpenID Connect subject linked to an account."""

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identity_issuer_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    linked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class TotpFactor(SQLModel, table=True):
    """An authenticator app's shared secret (RFC 6238), encrypted with a key derived from the secret key. Unconfirmed
    (confirmed_at empty) while its owner has not yet typed a first code; last_step is the time step of the last code
    accepted, so that no code is accepted twice nor one older than it."""

    __tablename__ = "totp_factor"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    secret: str = Field(max_length=255)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_step: int | None = None


class RecoveryCode(SQLModel, table=True):
    """A single-use recovery code, stored as a keyed hash."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Passkey(SQLModel, table=True):
    """A WebAuthn credential (passkey) of an account: its id and public key as the authenticator gave them at
    registration, the authenticator's signature counter, the transports it named, and the name its owner chose."""

    __tablename__ = "passkey"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    credential_id: str = Field(max_length=1400, unique=True, description="base64url of the credential id")
    public_key: str = Field(max_length=2048, description="base64url of the COSE public key")
    sign_count: int = 0
    transports: str = Field(default="", max_length=200, description="comma-separated, as the browser named them")
    name: str = Field(max_length=60)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class WebAuthnChallenge(SQLModel, table=True):
    """A challenge given to the browser for one passkey ceremony: used once, within five minutes, for its purpose
    ("register", "second_factor" or "sign_in"), by the visitor it was given to (the digest of their CSRF binding)
    and, where known, for one account."""

    __tablename__ = "webauthn_challenge"
    __table_args__ = (one_of("purpose", ChallengePurpose),)

    id: int | None = Field(default=None, primary_key=True)
    challenge: str = Field(max_length=128, unique=True, description="base64url of the random challenge")
    purpose: str = Field(max_length=20)
    binding: str = Field(max_length=64)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
