"""Settings read from the environment, checked once at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_UPLOAD_MB = 100
DEFAULT_API_RATE_LIMIT = "120 per minute"  # per API token, in Flask-Limiter's notation

# Every environment variable the platform reads, with what it means (the README's table).
ENVIRONMENT_VARIABLES = {
    "ULTRATHON_ENV": "development (default), production or test; production requires SECRET_KEY and secure cookies",
    "ULTRATHON_INSTANCE": "folder for runtime state: SQLite file, generated secret key, embedded Redis (default ./instance)",
    "DATABASE_URL": "sqlite:///path or postgresql://user@host/db (default: SQLite file in the instance folder)",
    "REDIS_URL": "redis://host:6379/0 or unix:///path (unset: an embedded Redis under the instance folder)",
    "SECRET_KEY": "signs sessions and reset links; required in production (default: generated once, kept in the instance folder)",
    "ULTRATHON_MAX_UPLOAD_MB": f"largest request body accepted, in MB (default {DEFAULT_UPLOAD_MB}); each challenge sets its own file limit below it",
    "ULTRATHON_API_RATE_LIMIT": f"requests each API token may make, in Flask-Limiter's notation (default {DEFAULT_API_RATE_LIMIT!r})",
    "ULTRATHON_SWEEP_INTERVAL": "seconds between sweeps that re-deliver submissions whose job was lost (default 30)",
    "ULTRATHON_BASE_URL": "public address used in e-mailed links (default: the request's host)",
    "SMTP_HOST": "mail server for password-reset e-mails (unset: links are written to the log)",
    "SMTP_PORT": "mail server port (default 587, STARTTLS)",
    "SMTP_USER": "mail server user name",
    "SMTP_PASSWORD": "mail server password",
    "MAIL_FROM": "sender address of e-mails (default ultrathon@localhost)",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """The environment-derived settings every process shares."""

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

    @property
    def production(self) -> bool:
        """Return whether this is a production deployment."""
        return self.env == "production"


def instance_path(environ: dict[str, str] | os._Environ = os.environ) -> Path:
    """Return the folder that holds runtime state (SQLite file, secret key, embedded Redis)."""
    return Path(environ.get("ULTRATHON_INSTANCE") or "instance").resolve()


def _int_setting(environ, name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _check_database_url(url: str) -> str:
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            f"DATABASE_URL must start with sqlite:/// or postgresql://, got {url.split(':')[0]!r}"
        )
    if scheme == "postgres":  # the Heroku-style alias SQLAlchemy no longer accepts
        url = "postgresql" + url[len("postgres"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _check_redis_url(url: str) -> str:
    if urlparse(url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {url!r}")
    return url


def _check_rate_limit(value: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"ULTRATHON_API_RATE_LIMIT must read like '120 per minute', got {value!r}") from None
    return value


def _secret_key(environ, env: str, instance: Path) -> str:
    key = environ.get("SECRET_KEY")
    if key:
        if len(key) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long")
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY is required when ULTRATHON_ENV=production")
    # A generated key kept under the instance folder survives restarts, so sessions do too.
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(environ: dict[str, str] | os._Environ = os.environ) -> Settings:
    """Read and check every setting; raise ConfigError naming the first bad one."""
    env = environ.get("ULTRATHON_ENV", "development")
    if env not in ("development", "production", "test"):
        raise ConfigError(f"ULTRATHON_ENV must be development, production or test, got {env!r}")
    instance = instance_path(environ)
    database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance / 'ultrathon.db'}"
    redis_url = environ.get("REDIS_URL") or None
    return Settings(
        env=env,
        instance_path=instance,
        database_url=_check_database_url(database_url),
        redis_url=_check_redis_url(redis_url) if redis_url else None,
        secret_key=_secret_key(environ, env, instance),
        max_upload_mb=_int_setting(environ, "ULTRATHON_MAX_UPLOAD_MB", DEFAULT_UPLOAD_MB),
        sweep_interval_s=_int_setting(environ, "ULTRATHON_SWEEP_INTERVAL", 30),
        smtp_host=environ.get("SMTP_HOST") or None,
        smtp_port=_int_setting(environ, "SMTP_PORT", 587),
        smtp_user=environ.get("SMTP_USER") or None,
        smtp_password=environ.get("SMTP_PASSWORD") or None,
        mail_from=environ.get("MAIL_FROM", "ultrathon@localhost"),
        base_url=environ.get("ULTRATHON_BASE_URL") or None,
        api_rate_limit=_check_rate_limit(environ.get("ULTRATHON_API_RATE_LIMIT") or DEFAULT_API_RATE_LIMIT),
    )


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
    }


def new_password() -> str:
    """Return a generated password that meets the length rule."""
    return secrets.token_urlsafe(15)
