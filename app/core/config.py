"""Typed settings: environment variables prefixed PRCN_, optionally a TOML file named by PRCN_CONFIG_FILE."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "PRCN_"
ROOT = Path(__file__).resolve().parent.parent.parent
GOVERNANCE_OPTIONS = ("diplomatic", "operational", "informal", "adhoc")
LANGUAGES = ("en", "fr")
DATABASE_DRIVERS = ("sqlite", "postgresql+psycopg")

GovernanceOption = Literal["diplomatic", "operational", "informal", "adhoc"]
Language = Literal["en", "fr"]
# One bare address (no display name, no list): what an ORGANIZER's mailto: and a Reply-To header can both hold.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
ROLES = ("admin", "coordinator", "focal_point", "observer")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigurationError(Exception):
    """A configuration value is wrong; the message is one line naming the key."""


def _config_file() -> Path | None:
    name = os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")
    return Path(name) if name else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    config_file: Path | None = None
    production: bool = False
    database_url: str = ""
    secret_key: SecretStr | None = None
    governance_option: GovernanceOption = "informal"
    default_language: Language = "en"
    base_url: str = "http://127.0.0.1:8000"
    seeds_dir: Path = ROOT / "seeds"
    var_dir: Path = ROOT / "var"

    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    mail_from: str = "portal@localhost"
    # Where answers to the portal's emails go, and the organizer its invitations name; unset: the meeting's
    # coordinator, else the sender address.
    mail_reply_to: str = ""

    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_label: str = "Single sign-on"
    # Whether the identity provider's own multi-factor sign-in (the ID token's amr "mfa", or an acr listed below)
    # stands for the portal's.
    oidc_trust_mfa: bool = False
    # The ID token `acr` values that mean a multi-factor sign-in (comma-separated): by default the OpenID
    # phishing-resistant ones and the PAPE multi-factor policy; add the provider's own, e.g. Keycloak's level.
    oidc_mfa_acr: str = "phr,phrh,http://schemas.openid.net/pape/policies/2007/06/multi-factor"
    # The roles that must use a second factor (comma-separated; empty: none must).
    mfa_required_roles: str = "admin,coordinator"

    session_idle_minutes: int = Field(default=120, ge=5, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    reset_link_minutes: int = Field(default=60, ge=5, le=24 * 60)
    signin_link_hours: int = Field(default=24, ge=1, le=24 * 7)
    max_failures_per_account: int = Field(default=5, ge=1, le=100)
    max_failures_per_address: int = Field(default=20, ge=1, le=1000)
    failure_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    max_resets_per_account: int = Field(default=3, ge=1, le=100)
    max_resets_per_address: int = Field(default=10, ge=1, le=1000)

    # The most notifications one run of a scheduled job decides; the rest wait for the next minute's run. It bounds
    # how long a run holds the database (on SQLite, the write lock every form waits for).
    notifications_per_run: int = Field(default=500, ge=1, le=100_000)

    working_hours: str = "08:00-18:00"
    working_days: str = "mon,tue,wed,thu,fri"
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)
    # The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: none unless configured.
    trusted_proxies: str = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        path = _config_file()
        if path is not None:
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=path),)
        return sources

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL") from None
        if url.drivername not in DATABASE_DRIVERS:
            raise ValueError(f"driver {url.drivername!r} is not supported") from None
        if url.drivername.startswith("postgresql") and not url.database:
            raise ValueError("the URL names no database") from None
        return value

    @field_validator("base_url", "oidc_issuer")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("mail_reply_to")
    @classmethod
    def _mail_address(cls, value: str) -> str:
        value = value.strip()
        if value and not EMAIL_ADDRESS.fullmatch(value):
            raise ValueError(f"{value!r} is not an email address; give one bare address, e.g. secretariat@example.org")
        return value

    @field_validator("working_hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        found = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)", value.strip())
        if not found or found.group(1, 2) >= found.group(3, 4):
            raise ValueError(f"{value!r} is not a day's working hours; use HH:MM-HH:MM, e.g. 08:00-18:00")
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        found = [item.strip() for item in value.split(",") if item.strip()]
        for item in found:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network; list the proxies' addresses, comma-separated"
                ) from None
        return ",".join(found)

    @field_validator("mfa_required_roles")
    @classmethod
    def _roles(cls, value: str) -> str:
        roles = [role.strip().lower() for role in value.split(",") if role.strip()]
        if any(role not in ROLES for role in roles):
            raise ValueError(f"{value!r} is not allowed; use roles among: {', '.join(ROLES)} (comma-separated)")
        return ",".join(roles)

    @field_validator("oidc_mfa_acr")
    @classmethod
    def _acr_values(cls, value: str) -> str:
        values = [item.strip() for item in value.split(",") if item.strip()]
        if any(not item.isprintable() or " " in item for item in values):
            raise ValueError(f"{value!r} is not allowed; list ACR values without spaces, comma-separated")
        return ",".join(values)

    @field_validator("working_days")
    @classmethod
    def _working_days(cls, value: str) -> str:
        days = [day.strip().lower() for day in value.split(",") if day.strip()]
        if not days or any(day not in WEEKDAYS for day in days):
            raise ValueError(f"{value!r} is not allowed; use days among: {', '.join(WEEKDAYS)} (comma-separated)")
        return ",".join(days)

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'portal.sqlite3'}"
        if self.production and self.secret_key is None:
            raise ValueError("PRCN_SECRET_KEY must be set when PRCN_PRODUCTION is true")
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("PRCN_SECRET_KEY must be at least 32 characters")
        if bool(self.oidc_issuer) != bool(self.oidc_client_id):
            raise ValueError("PRCN_OIDC_ISSUER and PRCN_OIDC_CLIENT_ID are set together or not at all")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def multi_factor_acr(self) -> frozenset[str]:
        return frozenset(item for item in self.oidc_mfa_acr.split(",") if item)

    @property
    def second_factor_roles(self) -> frozenset[str]:
        return frozenset(role for role in self.mfa_required_roles.split(",") if role)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    def secret(self) -> str:
        """The secret key, generated once and kept under var/ when not configured."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def effective(self) -> list[tuple[str, str]]:
        """Every key with its effective value, secrets masked, for the admin page."""
        rows = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) or name == "secret_key":
                shown = (
                    "••••••"
                    if value and value.get_secret_value()
                    else "(generated under var/)"
                    if name == "secret_key"
                    else ""
                )
            elif name == "database_url":
                shown = make_url(value).render_as_string(hide_password=True)
            else:
                shown = str(value)
            rows.append((ENV_PREFIX + name.upper(), shown))
        return rows


def describe_error(error: ValidationError) -> str:
    """One line per wrong key: the key, what is wrong and the allowed values."""
    lines = []
    for item in error.errors():
        key = ENV_PREFIX + "_".join(str(part) for part in item["loc"]).upper() if item["loc"] else ""
        ctx = item.get("ctx") or {}
        if item["type"] == "literal_error":
            lines.append(f"{key}: {item['input']!r} is not allowed; use one of: {ctx.get('expected')}")
        elif item["type"] == "extra_forbidden":
            lines.append(f"{key}: unknown configuration key")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"{key}: {message}" if key else message)
    return "\n".join(lines)


@lru_cache
def get_settings() -> Settings:
    path = _config_file()
    if path is not None and not path.is_file():
        raise ConfigurationError(f"{ENV_PREFIX}CONFIG_FILE: no such file: {path}")
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(describe_error(error)) from None
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"{ENV_PREFIX}CONFIG_FILE: cannot read it ({error})") from None
