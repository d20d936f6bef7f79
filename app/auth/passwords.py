"""Argon2id hashing and the password rules (OWASP ASVS 5.0 V6.2): 12 to 128 characters, not a common one."""

from __future__ import annotations

import string
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.core.errors import DomainError
from app.core.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_LIST_SIZE = 10_000
_hasher = PasswordHash((Argon2Hasher(),))
_PADDING = string.digits + string.punctuation + " "


@lru_cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_LIST_SIZE])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Checks a password; with no hash it still spends the time of a check, so timing tells nothing."""
    if not password_hash:
        _hasher.hash(password)
        return False
    return _hasher.verify(password, password_hash)


def is_common(password: str) -> bool:
    """A listed common password, alone or padded with digits and symbols (password1234!)."""
    lowered = password.lower()
    core = lowered.strip(_PADDING)
    return lowered in _common() or core in _common() or len(set(lowered)) < 4


def check_new_password(password: str, *, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise DomainError(N_("The password must have at least %(min)s characters."), min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise DomainError(N_("The password must have at most %(max)s characters."), max=MAX_LENGTH)
    local_part = email.partition("@")[0].lower()
    if is_common(password) or (len(local_part) >= 4 and local_part in password.lower()):
        raise DomainError(N_("This password is too common or too easy to guess. Choose another one."))
