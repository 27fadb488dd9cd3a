"""Typed settings, read once from the environment and `.streamlit/secrets.toml`."""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from services.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRETS_NAME = "dev-secrets.toml"
DEV_KEY_MARKER = "dev-"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    audit_key: bytes
    environment: str  # "development" or "production"
    clinic_name: str

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


def _dev_audit_key(data_dir: Path) -> str:
    """A development key generated once into data/, never committed; production refuses it."""
    path = data_dir / DEV_SECRETS_NAME
    if path.exists():
        with path.open("rb") as fh:
            return str(tomllib.load(fh)["audit_key"])
    data_dir.mkdir(parents=True, exist_ok=True)
    key = DEV_KEY_MARKER + secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f'# generated for development only\naudit_key = "{key}"\n')
    return key


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
    key = _setting("audit_key", values)
    if key is None:
        if environment == "production":
            raise ConfigurationError(
                "production mode needs PORTAL_AUDIT_KEY (or audit_key in secrets)"
            )
        key = _dev_audit_key(data_dir)
    if environment == "production" and (key.startswith(DEV_KEY_MARKER) or len(key) < 32):
        raise ConfigurationError(
            "production mode refuses a development or short audit key: set PORTAL_AUDIT_KEY"
        )
    return Settings(
        database_url=url,
        data_dir=data_dir,
        audit_key=key.encode(),
        environment=environment,
        clinic_name=_setting("clinic_name", values, "Lakeside Health") or "Lakeside Health",
    )
