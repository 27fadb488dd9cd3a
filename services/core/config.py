"""Typed settings, read once from the environment and `.streamlit/secrets.toml`."""

from __future__ import annotations

import fcntl
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.core import private_files
from services.core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]  # the checkout: services/core/config.py
DEV_SECRETS_NAME = "dev-secrets.toml"
DEV_KEY_MARKER = "dev-"
# Keys that never live in the repository or the database (docs/rules/security.md 9, 21, 22).
KEYS = ("audit_key", "secret_key")
# The payment processor's API key and notification-signing secret: development makes its own for
# the demo processor; production has them only when a real processor is configured.
PAYMENT_KEYS = ("payment_secret_key", "payment_webhook_secret")
MIN_KEY_LENGTH = 32
DEMO_PROCESSOR_URL = "http://127.0.0.1:8502"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None
    password: str | None
    starttls: bool


@dataclass(frozen=True)
class SmsSettings:
    url: str  # the gateway's endpoint: POST {"to", "body", "id"} as JSON
    token: str | None  # sent as "Authorization: Bearer <token>"


@dataclass(frozen=True)
class SsoSettings:
    """Staff single sign-on with an OpenID Connect provider (the clinic's identity provider)."""

    issuer: str  # the provider's issuer URL; its /.well-known/openid-configuration is read
    client_id: str
    client_secret: str = field(repr=False)
    name: str = "your organisation's sign-in"  # the button reads "Sign in with <name>"


@dataclass(frozen=True)
class PaymentSettings:
    api_url: str  # the processor's API: Stripe's, or the demo processor's (a Stripe subset)
    secret_key: str  # sent as "Authorization: Bearer <key>"
    webhook_secret: str  # signs the processor's notifications


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    audit_key: bytes  # HMAC key of the audit chain
    secret_key: bytes  # encrypts TOTP secrets, keys the hashes of one-time codes
    environment: str  # "development" or "production"
    clinic_name: str
    public_url: str  # where people reach the portal: links in emails start here
    idle_timeout_minutes: float
    idle_warning_minutes: float
    session_lifetime_hours: float
    jobs_tick_seconds: float  # how often the job runner looks for due jobs
    timezone: str  # the clinic's IANA zone: days, morning/evening and shown times use it
    smtp: SmtpSettings | None  # None: messages wait in the outbox (the demo inbox shows them)
    sms: SmsSettings | None  # likewise for text messages
    payment: PaymentSettings | None  # None: no online payment (production without a processor)
    metrics_token: str | None  # lets a monitor read /_stcore/metrics (Bearer); admins need none
    staff_require_passkey: bool  # staff must add a passkey or security key (phishing-resistant)
    trust_browser_days: int  # "Trust this browser" skips the second step this long; 0: never
    staff_may_trust_browser: bool  # the clinic lets staff trust a browser too
    sso: SsoSettings | None  # None: no single sign-on; staff use the portal's password

    @property
    def is_duckdb(self) -> bool:
        return self.database_url.startswith("duckdb")


def _secrets_file() -> dict[str, object]:
    path = ROOT / ".streamlit" / "secrets.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _setting(name: str, file_values: dict[str, object], default: str | None = None) -> str | None:
    """Environment first (PORTAL_<NAME>), then secrets.toml (<name>), then the default."""
    env = os.environ.get(f"PORTAL_{name.upper()}")
    if env:
        return env
    value = file_values.get(name)
    return str(value) if value is not None else default


def _dev_keys(data_dir: Path) -> dict[str, str]:
    """Development keys generated once into data/ (never committed); production refuses them.
    The demo processor reads the same file, so both sides of a payment share its keys. Processes
    starting at once (two app servers, the jobs worker) take a file lock and read again under
    it, so they all end with the same keys."""
    path = data_dir / DEV_SECRETS_NAME
    found = _read_dev_keys(path)
    if all(k in found for k in (*KEYS, *PAYMENT_KEYS)):
        return found
    private_files.private_dir(data_dir)
    lock_fd = os.open(data_dir / ".dev-secrets.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        found = _read_dev_keys(path)
        missing = [k for k in (*KEYS, *PAYMENT_KEYS) if k not in found]
        if missing:
            found |= {k: DEV_KEY_MARKER + secrets.token_hex(32) for k in missing}
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write("# generated for development only; production refuses these keys\n")
                fh.writelines(f'{k} = "{v}"\n' for k, v in found.items())
            os.replace(tmp, path)
    finally:
        os.close(lock_fd)  # closing releases the lock
    return found


def _read_dev_keys(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return {k: str(v) for k, v in tomllib.load(fh).items()}


def _flag(name: str, values: dict[str, object]) -> bool:
    """A yes-or-no setting, off unless set to 1, true or yes."""
    return (_setting(name, values, "false") or "false").lower() in ("1", "true", "yes")


def _number(
    name: str, values: dict[str, object], default: float, zero_allowed: bool = False
) -> float:
    raw = _setting(name, values, str(default))
    try:
        number = float(raw or default)
    except ValueError:
        raise ConfigurationError(f"PORTAL_{name.upper()} must be a number, not {raw!r}") from None
    if number < 0 or (number == 0 and not zero_allowed):
        raise ConfigurationError(f"PORTAL_{name.upper()} must be positive, not {raw!r}")
    return number


def number_setting(name: str, default: float) -> float:
    """One positive number from the environment (PORTAL_<NAME>) or secrets.toml (<name>)."""
    return _number(name, _secrets_file(), default)


def text_setting(name: str, default: str) -> str:
    """One text value from the environment (PORTAL_<NAME>) or secrets.toml (<name>)."""
    return _setting(name, _secrets_file(), default) or default


def cents_setting(name: str, default: str) -> int:
    """An amount of money in dollars (PORTAL_<NAME> or secrets.toml), zero or more, in cents."""
    raw = _setting(name, _secrets_file(), default) or default
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise ConfigurationError(f"PORTAL_{name.upper()} must be an amount, not {raw!r}") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ConfigurationError(f"PORTAL_{name.upper()} must be dollars and cents, not {raw!r}")
    return int(amount * 100)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings; `settings.cache_clear()` re-reads them (tests)."""
    values = _secrets_file()
    data_dir = Path(_setting("data_dir", values, str(ROOT / "data")) or "")
    environment = _setting("environment", values, "development") or "development"
    if environment not in ("development", "production"):
        raise ConfigurationError(
            f"PORTAL_ENVIRONMENT must be 'development' or 'production', not {environment!r}"
        )
    default_url = f"duckdb:///{data_dir / 'portal.duckdb'}"
    url = _setting("database_url", values, default_url) or default_url
    keys = _keys(KEYS, values, environment, data_dir)
    return Settings(
        database_url=url,
        data_dir=data_dir,
        audit_key=str(keys["audit_key"]).encode(),
        secret_key=str(keys["secret_key"]).encode(),
        environment=environment,
        clinic_name=_setting("clinic_name", values, "Lakeside Health") or "Lakeside Health",
        public_url=(
            _setting("public_url", values, "http://localhost:8501") or "http://localhost:8501"
        ).rstrip("/"),
        idle_timeout_minutes=_number("idle_timeout_minutes", values, 15),
        idle_warning_minutes=_number("idle_warning_minutes", values, 2),
        session_lifetime_hours=_number("session_lifetime_hours", values, 12),
        jobs_tick_seconds=_number("jobs_tick_seconds", values, 15),
        timezone=_zone(_setting("timezone", values, "America/Chicago") or "America/Chicago"),
        smtp=_smtp(values),
        sms=_sms(values, environment),
        payment=_payment(values, environment, data_dir),
        metrics_token=_metrics_token(values),
        staff_require_passkey=_flag("staff_require_passkey", values),
        trust_browser_days=int(_number("trust_browser_days", values, 30, zero_allowed=True)),
        staff_may_trust_browser=_flag("staff_may_trust_browser", values),
        sso=_sso(values, environment),
    )


def _metrics_token(values: dict[str, object]) -> str | None:
    token = _setting("metrics_token", values)
    if token is not None and len(token) < MIN_KEY_LENGTH:
        raise ConfigurationError(
            f"PORTAL_METRICS_TOKEN must be at least {MIN_KEY_LENGTH} characters of random text"
        )
    return token


def _keys(
    names: tuple[str, ...], values: dict[str, object], environment: str, data_dir: Path
) -> dict[str, str]:
    """Secret keys from the environment or secrets; development generates the missing ones."""
    keys = {k: _setting(k, values) for k in names}
    if any(v is None for v in keys.values()):
        if environment == "production":
            missing = ", ".join(f"PORTAL_{k.upper()}" for k, v in keys.items() if v is None)
            raise ConfigurationError(f"production mode needs {missing} (or the same in secrets)")
        generated = _dev_keys(data_dir)
        keys = {k: v if v is not None else generated[k] for k, v in keys.items()}
    if environment == "production":
        for name, key in keys.items():
            if key is None or key.startswith(DEV_KEY_MARKER) or len(key) < MIN_KEY_LENGTH:
                raise ConfigurationError(
                    f"production mode refuses a development or short key: set PORTAL_{name.upper()}"
                )
    return {k: str(v) for k, v in keys.items()}


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"PORTAL_TIMEZONE is not a time zone: {name!r} (e.g. America/Chicago)"
        ) from None
    return name


def _smtp(values: dict[str, object]) -> SmtpSettings | None:
    host = _setting("smtp_host", values)
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(_number("smtp_port", values, 587)),
        sender=_setting("smtp_from", values, "Lakeside Health <no-reply@lakeside.example>") or "",
        username=_setting("smtp_username", values),
        password=_setting("smtp_password", values),
        starttls=(_setting("smtp_starttls", values, "true") or "true").lower()
        in ("1", "true", "yes"),
    )


def _sso(values: dict[str, object], environment: str) -> SsoSettings | None:
    issuer = _setting("sso_issuer", values)
    if not issuer:
        return None
    client_id, secret = _setting("sso_client_id", values), _setting("sso_client_secret", values)
    if not client_id or not secret:
        raise ConfigurationError(
            "PORTAL_SSO_ISSUER needs PORTAL_SSO_CLIENT_ID and PORTAL_SSO_CLIENT_SECRET"
        )
    return SsoSettings(
        issuer=_web_address("sso_issuer", issuer, environment),
        client_id=client_id,
        client_secret=secret,
        name=_setting("sso_name", values, SsoSettings.name) or SsoSettings.name,
    )


def _web_address(name: str, url: str, environment: str) -> str:
    """An outside service's URL: https, or http too outside production."""
    scheme = url.split("://", 1)[0].lower()
    allowed = ("https",) if environment == "production" else ("https", "http")
    if scheme not in allowed:
        raise ConfigurationError(
            f"PORTAL_{name.upper()} must be an https:// URL"
            + ("" if environment == "production" else " (or http:// outside production)")
        )
    return url.rstrip("/")


def _sms(values: dict[str, object], environment: str) -> SmsSettings | None:
    url = _setting("sms_url", values)
    if not url:
        return None
    return SmsSettings(
        url=_web_address("sms_url", url, environment), token=_setting("sms_token", values)
    )


def _payment(values: dict[str, object], environment: str, data_dir: Path) -> PaymentSettings | None:
    """The payment processor: the demo processor in development unless another is set; in
    production only one that is set, with its own keys."""
    default = None if environment == "production" else DEMO_PROCESSOR_URL
    url = _setting("payment_api_url", values, default)
    if not url:
        return None
    keys = _keys(PAYMENT_KEYS, values, environment, data_dir)
    return PaymentSettings(
        api_url=_web_address("payment_api_url", url, environment),
        secret_key=keys["payment_secret_key"],
        webhook_secret=keys["payment_webhook_secret"],
    )
