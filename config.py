"""Every setting of the server, read from environment variables in one place.

Nothing else in the project reads ``os.environ``: code receives a ``Settings`` object.
The README's settings table and ``.env.example`` list the same names as ``Settings.from_env``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SIGNUP_MODES = ("open", "admin")

# A SECRET_KEY equal to one of these (or shorter than 32 characters) is a placeholder.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
# Where `make run` and `apiserver serve` listen by default; the development issuer points there.
DEFAULT_PORT = 5000


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""


def default_database_url() -> str:
    """The embedded default: a SQLite file in the current working directory."""
    return f"sqlite:///{Path.cwd() / 'apiserver.db'}"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs (we ship psycopg, not psycopg2),
    and make a relative SQLite path absolute, so that every worker process opens the file the
    server migrated, whatever directory it runs in."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite"):
        parsed = make_url(url)
        path = parsed.database
        if (
            path
            and path != ":memory:"
            and not path.startswith("file:")
            and not Path(path).is_absolute()
        ):
            return parsed.set(database=str(Path.cwd() / path)).render_as_string(hide_password=False)
    return url


def as_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be on/off (or true/false, 1/0), not {value!r}")


def as_int(name: str, value: str, minimum: int, maximum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if not minimum <= number <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def as_origins(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated origins such as ``https://app.example.com``; ``*`` allows any."""
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise SettingsError(f"{name} items must be * or http(s) origins, not {origin!r}")
    return origins


RATE_FIELDS = (
    "rate_limit_token_ip",
    "rate_limit_login_failures",
    "rate_limit_signup_ip",
    "rate_limit_per_token",
)


def as_rate(name: str, value: str) -> str:
    """A rate such as ``10/minute`` or ``100 per hour`` (the limits library's notation)."""
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise SettingsError(f"{name} must be a rate like 10/minute, not {value!r}") from None
    return value


def as_issuer(name: str, value: str) -> str:
    """An http(s) URL without query or fragment (RFC 8414 §2), kept without a trailing slash."""
    issuer = value.strip().rstrip("/")
    parsed = urlsplit(issuer)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or "#" in issuer:
        raise SettingsError(
            f"{name} must be an http(s) URL without query or fragment, such as "
            f"https://auth.example.com, not {value!r}"
        )
    return issuer


def as_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def default_issuer(get) -> str:
    """Development's issuer: this machine, on the port `make run` serves."""
    return f"http://127.0.0.1:{get('PORT') or DEFAULT_PORT}"


@dataclasses.dataclass(frozen=True)
class Settings:
    environment: str = "production"
    database_url: str = dataclasses.field(default_factory=default_database_url)
    secret_key: str = ""
    bcrypt_rounds: int = 12
    log_level: str = "INFO"
    validate_responses: bool = False
    signup: str = "open"
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    db_pool_size: int = 20
    db_max_overflow: int = 10
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    max_concurrent_reads: int = 8
    rate_limits: bool = True
    redis_url: str = ""
    rate_limit_token_ip: str = "60/minute"
    rate_limit_login_failures: str = "10/minute"
    rate_limit_signup_ip: str = "20/hour"
    rate_limit_per_token: str = "1200/minute"
    # The authorization server's identifier: the `iss` of authorization responses and metadata.
    issuer: str = f"http://127.0.0.1:{DEFAULT_PORT}"
    issuer_given: bool = False
    password_grant: bool = True
    authorization_code_ttl: int = 60

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        get = env.get
        defaults = cls()
        environment = as_choice(
            "ENVIRONMENT", get("ENVIRONMENT", defaults.environment), ENVIRONMENTS
        )
        secret = get("SECRET_KEY", "")
        if not secret and environment == "development":
            secret = DEVELOPMENT_SECRET
        return cls(
            environment=environment,
            database_url=normalise_database_url(get("DATABASE_URL") or default_database_url()),
            secret_key=secret,
            bcrypt_rounds=as_int("BCRYPT_ROUNDS", get("BCRYPT_ROUNDS", "12"), 4, 31),
            log_level=as_choice(
                "LOG_LEVEL", get("LOG_LEVEL", defaults.log_level).upper(), LOG_LEVELS
            ),
            validate_responses=as_bool("VALIDATE_RESPONSES", get("VALIDATE_RESPONSES", "off")),
            signup=as_choice("SIGNUP", get("SIGNUP", defaults.signup), SIGNUP_MODES),
            access_token_ttl=as_int(
                "ACCESS_TOKEN_TTL", get("ACCESS_TOKEN_TTL", "3600"), 60, 7 * 24 * 3600
            ),
            refresh_token_ttl=as_int(
                "REFRESH_TOKEN_TTL", get("REFRESH_TOKEN_TTL", str(30 * 24 * 3600)), 60, 10**8
            ),
            db_pool_size=as_int("DB_POOL_SIZE", get("DB_POOL_SIZE", "20"), 1, 1000),
            db_max_overflow=as_int("DB_MAX_OVERFLOW", get("DB_MAX_OVERFLOW", "10"), 0, 1000),
            cors_origins=as_origins("CORS_ORIGINS", get("CORS_ORIGINS", "")),
            max_body_bytes=as_int(
                "MAX_BODY_BYTES", get("MAX_BODY_BYTES", str(1024 * 1024)), 1024, 1 << 30
            ),
            max_concurrent_reads=as_int(
                "MAX_CONCURRENT_READS", get("MAX_CONCURRENT_READS", "8"), 0, 100_000
            ),
            rate_limits=as_bool("RATE_LIMITS", get("RATE_LIMITS", "on")),
            redis_url=get("REDIS_URL", ""),
            issuer=as_issuer("ISSUER", get("ISSUER") or default_issuer(get)),
            issuer_given=bool(get("ISSUER")),
            password_grant=as_bool("PASSWORD_GRANT", get("PASSWORD_GRANT", "on")),
            authorization_code_ttl=as_int(
                "AUTHORIZATION_CODE_TTL", get("AUTHORIZATION_CODE_TTL", "60"), 1, 600
            ),
            **{
                field: as_rate(field.upper(), get(field.upper(), getattr(defaults, field)))
                for field in RATE_FIELDS
            },
        )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def check_issuer(self) -> None:
        """Refuse to serve in production without an ISSUER: clients compare it with `iss`."""
        if self.is_production and not self.issuer_given:
            raise SettingsError(
                "ISSUER is missing. Set it to the public https URL this server is reached at "
                "(such as https://api.example.com), or set ENVIRONMENT=development on your own "
                "machine."
            )

    def check_secret(self) -> None:
        """Refuse to serve in production with a missing or placeholder SECRET_KEY."""
        if not self.is_production:
            return
        if (
            self.secret_key.strip().lower() in PLACEHOLDER_SECRETS
            or self.secret_key == DEVELOPMENT_SECRET
            or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise SettingsError(
                "SECRET_KEY is missing or a placeholder. Set it to at least "
                f"{MIN_SECRET_LENGTH} random characters, for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
                "or set ENVIRONMENT=development on your own machine."
            )
