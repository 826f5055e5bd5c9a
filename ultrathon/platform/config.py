"""Settings read from the environment, checked once at start-up."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Not Flask-Babel's: settings are read before any app exists, in the CLI's language (ultrathon.i18n).
from ultrathon.i18n import N_, gettext as _

DEFAULT_UPLOAD_MB = 100
DEFAULT_API_RATE_LIMIT = "120 per minute"  # per API token, in Flask-Limiter's notation
DEFAULT_AGENT_LEASE_S = 120
DEFAULT_AGENT_MAX_LEASES = 3
DEFAULT_AGENT_WAIT_S = 300


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """The environment-derived settings every process shares.

    A frozen dataclass, not the pydantic model below, so that `dataclasses.replace` gives a
    variant (the supervisor's embedded Redis URL, a test's dedicated Redis).
    """

    env: str
    instance_path: Path
    database_url: str
    redis_url: str | None  # None: the embedded Redis under the instance folder
    secret_key: str
    max_upload_mb: int
    sweep_interval_s: int
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    mail_from: str
    base_url: str | None
    api_rate_limit: str = DEFAULT_API_RATE_LIMIT
    agent_lease_s: int = DEFAULT_AGENT_LEASE_S
    agent_max_leases: int = DEFAULT_AGENT_MAX_LEASES
    agent_wait_s: int = DEFAULT_AGENT_WAIT_S
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    metrics_token: str | None = None

    @property
    def production(self) -> bool:
        """Return whether this is a production deployment."""
        return self.env == "production"


def _check_database_url(url: str) -> str:
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(_("DATABASE_URL must start with sqlite:/// or postgresql://, got %(scheme)s",
                            scheme=repr(url.split(":")[0])))
    if scheme == "postgres":  # the Heroku-style alias SQLAlchemy no longer accepts
        url = "postgresql" + url[len("postgres"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _check_redis_url(url: str | None) -> str | None:
    if url is not None and urlparse(url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(_("REDIS_URL must start with redis://, rediss:// or unix://, got %(url)s", url=repr(url)))
    return url


def _check_rate_limit(value: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(_("ULTRATHON_API_RATE_LIMIT must read like '120 per minute', got %(value)s",
                            value=repr(value))) from None
    return value


def _check_addresses(value: str) -> str:
    from ipaddress import ip_address

    for address in filter(None, (part.strip() for part in value.split(","))):
        try:
            ip_address(address)
        except ValueError:
            raise ConfigError(_("ULTRATHON_METRICS_ALLOW must list IP addresses separated by commas, got %(address)s",
                                address=repr(address))) from None
    return value


Count = Annotated[int, Field(ge=1)]
# Empty counts as unset for every variable but these two, whose empty value stays a value.
BLANK_IS_A_VALUE = {"ULTRATHON_ENV", "MAIL_FROM"}


class EnvironmentSettings(BaseSettings):
    """Every environment variable the platform reads, typed and checked (the README's table)."""

    # Exact names, and only the process environment: no .env file, no secrets folder.
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = Field(
        "development", validation_alias="ULTRATHON_ENV",
        description="development (default), production or test; production requires SECRET_KEY and secure cookies")
    instance_path: Annotated[Path, AfterValidator(Path.resolve)] = Field(
        Path("instance"), validation_alias="ULTRATHON_INSTANCE",
        description="folder for runtime state: SQLite file, generated secret key, embedded Redis (default ./instance)")
    database_url: str | None = Field(
        None, validation_alias="DATABASE_URL",
        description="sqlite:///path or postgresql://user@host/db (default: SQLite file in the instance folder)")
    redis_url: Annotated[str | None, AfterValidator(_check_redis_url)] = Field(
        None, validation_alias="REDIS_URL",
        description="redis://host:6379/0 or unix:///path (unset: an embedded Redis under the instance folder)")
    secret_key: str | None = Field(
        None, min_length=16, validation_alias="SECRET_KEY",
        description="signs sessions and reset links; required in production (default: generated once, kept in the instance folder)")
    max_upload_mb: Count = Field(
        DEFAULT_UPLOAD_MB, validation_alias="ULTRATHON_MAX_UPLOAD_MB",
        description=f"largest request body accepted, in MB (default {DEFAULT_UPLOAD_MB}); each challenge sets its own file limit below it")
    sweep_interval_s: Count = Field(
        30, validation_alias="ULTRATHON_SWEEP_INTERVAL",
        description="seconds between sweeps that re-deliver submissions whose job was lost (default 30)")
    smtp_host: str | None = Field(
        None, validation_alias="SMTP_HOST",
        description="mail server for password-reset e-mails (unset: links are written to the log)")
    smtp_port: Count = Field(587, validation_alias="SMTP_PORT", description="mail server port (default 587, STARTTLS)")
    smtp_user: str | None = Field(None, validation_alias="SMTP_USER", description="mail server user name")
    smtp_password: str | None = Field(None, validation_alias="SMTP_PASSWORD", description="mail server password")
    mail_from: str = Field(
        "ultrathon@localhost", validation_alias="MAIL_FROM",
        description="sender address of e-mails (default ultrathon@localhost)")
    base_url: str | None = Field(
        None, validation_alias="ULTRATHON_BASE_URL",
        description="public address used in e-mailed links (default: the request's host)")
    api_rate_limit: Annotated[str, AfterValidator(_check_rate_limit)] = Field(
        DEFAULT_API_RATE_LIMIT, validation_alias="ULTRATHON_API_RATE_LIMIT",
        description=f"requests each API token may make, in Flask-Limiter's notation (default {DEFAULT_API_RATE_LIMIT!r})")

    agent_lease_s: Count = Field(
        DEFAULT_AGENT_LEASE_S, validation_alias="ULTRATHON_AGENT_LEASE_S",
        description=f"seconds a scoring agent's lease lasts without a heartbeat (default {DEFAULT_AGENT_LEASE_S})")
    agent_max_leases: Count = Field(
        DEFAULT_AGENT_MAX_LEASES, validation_alias="ULTRATHON_AGENT_MAX_LEASES",
        description=f"leases of one submission that may expire before it ends failed (default {DEFAULT_AGENT_MAX_LEASES})")
    agent_wait_s: Count = Field(
        DEFAULT_AGENT_WAIT_S, validation_alias="ULTRATHON_AGENT_WAIT_S",
        description="seconds a submission may wait for a scoring agent before its page says so "
                    f"(default {DEFAULT_AGENT_WAIT_S})")
    metrics_allow: Annotated[str, AfterValidator(_check_addresses)] = Field(
        "127.0.0.1,::1", validation_alias="ULTRATHON_METRICS_ALLOW",
        description="comma-separated client addresses that may read /metrics (default 127.0.0.1,::1)")
    metrics_token: str | None = Field(
        None, min_length=16, validation_alias="ULTRATHON_METRICS_TOKEN",
        description="bearer token that lets any address read /metrics (unset: addresses only)")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        # Compose files and shells pass `NAME=` for "not set"; the old reader took it so too.
        if not isinstance(values, dict):
            return values
        return {name: value for name, value in values.items() if value != "" or name in BLANK_IS_A_VALUE}

    @field_validator("database_url")
    @classmethod
    def _database_url_or_sqlite(cls, url: str | None, info: ValidationInfo) -> str:
        if url is None:
            instance = info.data.get("instance_path") or Path("instance").resolve()
            return f"sqlite:///{instance / 'ultrathon.db'}"
        return _check_database_url(url)

    @classmethod
    def from_mapping(cls, environ: Mapping[str, str]) -> EnvironmentSettings:
        """Read the settings from `environ` alone, as if it were the whole environment."""
        # Every field passed explicitly (its value, or its default when unset), so nothing is
        # taken from os.environ: initialiser values come before pydantic-settings' environment.
        values = {field.validation_alias: environ.get(field.validation_alias, field.default)
                  for field in cls.model_fields.values()}
        return cls(**values)


ENVIRONMENT_VARIABLES = {field.validation_alias: field.description
                         for field in EnvironmentSettings.model_fields.values()}

# Pydantic's own checks, said in this platform's words (%(name)s is the variable, %(given)s the value quoted).
MESSAGES = {
    "int_parsing": N_("%(name)s must be a whole number, got %(given)s"),
    "greater_than_equal": N_("%(name)s must be at least %(ge)s, got %(input)s"),
    "string_too_short": N_("%(name)s must be at least %(min_length)s characters long"),
    "literal_error": N_("%(name)s must be %(choices)s or %(last)s, got %(given)s"),
}


def _error_message(error: dict) -> str:
    """Return one line naming the variable a pydantic error is about."""
    context = error.get("ctx", {})
    if isinstance(context.get("error"), ConfigError):  # our own checks name the variable
        return str(context["error"])
    name = ".".join(str(part) for part in error["loc"])
    if error["type"] not in MESSAGES:
        return f"{name}: {error['msg']}"
    # pydantic's "'a', 'b' or 'c'", its words given again in the language's own list.
    choices = re.findall(r"'([^']*)'", str(context.get("expected", ""))) or [""]
    return _(MESSAGES[error["type"]], **{**context, "name": name, "input": error["input"], "given": repr(error["input"]),
                                         "choices": ", ".join(choices[:-1]), "last": choices[-1]})


def _secret_key(read: EnvironmentSettings) -> str:
    if read.secret_key:
        return read.secret_key
    if read.env == "production":
        raise ConfigError(_("SECRET_KEY is required when ULTRATHON_ENV=production"))
    # A generated key kept under the instance folder survives restarts, so sessions do too.
    instance = read.instance_path
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting (from os.environ, or `environ` alone); raise ConfigError naming each bad one."""
    try:
        read = EnvironmentSettings() if environ is None else EnvironmentSettings.from_mapping(environ)
    except ValidationError as exc:
        raise ConfigError("; ".join(_error_message(error) for error in exc.errors())) from None
    allow = tuple(part.strip() for part in read.metrics_allow.split(",") if part.strip())
    return Settings(**{**read.model_dump(), "secret_key": _secret_key(read), "metrics_allow": allow})


def flask_config(settings: Settings) -> dict:
    """Turn settings into the Flask config mapping."""
    return {
        "ULTRATHON": settings,
        "SECRET_KEY": settings.secret_key,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": settings.max_upload_mb * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.production,
        "REMEMBER_COOKIE_SECURE": settings.production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "TESTING": settings.env == "test",
        "ULTRATHON_API_RATE_LIMIT": settings.api_rate_limit,
        "ULTRATHON_AGENT_LEASE_S": settings.agent_lease_s,
        "ULTRATHON_AGENT_MAX_LEASES": settings.agent_max_leases,
        "ULTRATHON_AGENT_WAIT_S": settings.agent_wait_s,
    }


def new_password() -> str:
    """Return a generated password that meets the length rule."""
    return secrets.token_urlsafe(15)
