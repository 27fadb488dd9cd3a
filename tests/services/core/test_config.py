"""Keys come from configuration; development keys are generated once; production refuses them."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from services.core import crypto
from services.core.config import ROOT, settings
from services.core.errors import ConfigurationError


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    for name in (
        "AUDIT_KEY",
        "SECRET_KEY",
        "ENVIRONMENT",
        "DATABASE_URL",
        "SMS_URL",
        "SMS_TOKEN",
        "PAYMENT_API_URL",
        "PAYMENT_SECRET_KEY",
        "PAYMENT_WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(f"PORTAL_{name}", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def test_development_keys_are_generated_once_privately_and_reused(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = settings()
    path = tmp_path / "dev-secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings.cache_clear()
    again = settings()
    assert (first.audit_key, first.secret_key) == (again.audit_key, again.secret_key)
    assert first.audit_key != first.secret_key


def test_processes_starting_at_once_agree_on_one_set_of_development_keys(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two app servers and the jobs worker may start together on a fresh data directory (all
    eight read the settings at the same moment)."""
    code = (
        "import sys, time; from services.core.config import settings; "
        "time.sleep(max(0.0, float(sys.argv[1]) - time.time())); s = settings(); "
        "keys = (s.audit_key, s.secret_key, s.payment.secret_key, s.payment.webhook_secret); "
        "print(*(k.decode() if isinstance(k, bytes) else k for k in keys))"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(time.time() + 3)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    printed = {p.communicate(timeout=60)[0].strip() for p in starts}
    assert [p.returncode for p in starts] == [0] * 8
    assert len(printed) == 1
    assert printed == {" ".join(_read_keys(tmp_path / "dev-secrets.toml"))}


def _read_keys(path: Path) -> list[str]:
    with path.open("rb") as fh:
        keys = tomllib.load(fh)
    return [
        keys[k] for k in ("audit_key", "secret_key", "payment_secret_key", "payment_webhook_secret")
    ]


@pytest.mark.parametrize(
    "values, says",
    [
        ({}, "needs PORTAL_AUDIT_KEY, PORTAL_SECRET_KEY"),
        ({"AUDIT_KEY": "k" * 40}, "needs PORTAL_SECRET_KEY"),
        ({"AUDIT_KEY": "k" * 40, "SECRET_KEY": "short"}, "PORTAL_SECRET_KEY"),
        ({"AUDIT_KEY": "dev-" + "k" * 60, "SECRET_KEY": "s" * 40}, "PORTAL_AUDIT_KEY"),
    ],
)
def test_production_refuses_missing_short_or_development_keys(
    env: pytest.MonkeyPatch, values: dict[str, str], says: str
) -> None:
    env.setenv("PORTAL_ENVIRONMENT", "production")
    for name, value in values.items():
        env.setenv(f"PORTAL_{name}", value)
    with pytest.raises(ConfigurationError) as error:
        settings()
    assert says in error.value.message


def test_production_starts_with_proper_keys(env) -> None:  # type: ignore[no-untyped-def]
    env.setenv("PORTAL_ENVIRONMENT", "production")
    env.setenv("PORTAL_AUDIT_KEY", "a" * 40)
    env.setenv("PORTAL_SECRET_KEY", "s" * 40)
    assert settings().environment == "production"


def test_the_sms_gateway_must_be_https_in_production(env) -> None:  # type: ignore[no-untyped-def]
    env.setenv("PORTAL_SMS_URL", "http://gateway.internal/messages")
    assert settings().sms is not None  # plain http is allowed while developing
    settings.cache_clear()
    env.setenv("PORTAL_ENVIRONMENT", "production")
    env.setenv("PORTAL_AUDIT_KEY", "a" * 40)
    env.setenv("PORTAL_SECRET_KEY", "s" * 40)
    with pytest.raises(ConfigurationError, match="https"):
        settings()
    settings.cache_clear()
    env.setenv("PORTAL_SMS_URL", "https://gateway.internal/messages")
    env.setenv("PORTAL_SMS_TOKEN", "t" * 20)
    sms = settings().sms
    assert sms is not None and sms.token == "t" * 20
    settings.cache_clear()
    env.setenv("PORTAL_SMS_URL", "ftp://gateway.internal/")
    with pytest.raises(ConfigurationError, match="https"):
        settings()


def test_payments_use_the_demo_processor_in_development_and_a_real_one_in_production(env) -> None:  # type: ignore[no-untyped-def]
    found = settings().payment
    assert found is not None and found.api_url == "http://127.0.0.1:8502"
    assert found.secret_key.startswith("dev-") and found.webhook_secret != found.secret_key
    settings.cache_clear()
    env.setenv("PORTAL_ENVIRONMENT", "production")
    env.setenv("PORTAL_AUDIT_KEY", "a" * 40)
    env.setenv("PORTAL_SECRET_KEY", "s" * 40)
    assert settings().payment is None  # no processor set: no paying online
    settings.cache_clear()
    env.setenv("PORTAL_PAYMENT_API_URL", "https://api.stripe.com")
    with pytest.raises(ConfigurationError, match="PORTAL_PAYMENT_SECRET_KEY"):
        settings()
    settings.cache_clear()
    env.setenv("PORTAL_PAYMENT_SECRET_KEY", "dev-" + "k" * 40)
    env.setenv("PORTAL_PAYMENT_WEBHOOK_SECRET", "w" * 40)
    with pytest.raises(ConfigurationError, match="development or short key"):
        settings()
    settings.cache_clear()
    env.setenv("PORTAL_PAYMENT_SECRET_KEY", "sk_live_" + "k" * 40)
    found = settings().payment
    assert found is not None and found.secret_key.startswith("sk_live_")
    settings.cache_clear()
    env.setenv("PORTAL_PAYMENT_API_URL", "http://api.stripe.com")
    with pytest.raises(ConfigurationError, match="https"):
        settings()


def test_bad_numbers_and_modes_are_refused(env) -> None:  # type: ignore[no-untyped-def]
    env.setenv("PORTAL_IDLE_TIMEOUT_MINUTES", "soon")
    with pytest.raises(ConfigurationError, match="must be a number"):
        settings()
    settings.cache_clear()
    env.setenv("PORTAL_IDLE_TIMEOUT_MINUTES", "15")
    env.setenv("PORTAL_ENVIRONMENT", "staging")
    with pytest.raises(ConfigurationError, match="development"):
        settings()


def test_secrets_round_trip_and_fail_closed_under_another_key(env) -> None:  # type: ignore[no-untyped-def]
    env.setenv("PORTAL_SECRET_KEY", "first-key-" + "x" * 30)
    token = crypto.encrypt(b"JBSWY3DPEHPK3PXP")
    assert b"JBSWY3DP" not in token and crypto.decrypt(token) == b"JBSWY3DPEHPK3PXP"
    settings.cache_clear()
    env.setenv("PORTAL_SECRET_KEY", "other-key-" + "x" * 30)
    with pytest.raises(ConfigurationError):
        crypto.decrypt(token)


def test_codes_are_random_and_stored_only_as_keyed_hashes(env) -> None:  # type: ignore[no-untyped-def]
    codes = {crypto.recovery_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 11 and c[5] == "-" for c in codes)
    code = crypto.recovery_code()
    stored = crypto.code_hash(code)
    assert code not in stored and crypto.codes_match(code.lower().replace("-", " "), stored)
    assert len(crypto.digits(6)) == 6 and crypto.digits(6).isdigit()


def test_by_default_the_data_lives_in_the_checkouts_data_folder(env) -> None:  # type: ignore[no-untyped-def]
    """As `make run` expects: data/ beside app.py, wherever the settings module lives."""
    env.delenv("PORTAL_DATA_DIR")
    env.setenv("PORTAL_AUDIT_KEY", "a" * 40)
    env.setenv("PORTAL_SECRET_KEY", "b" * 40)
    settings.cache_clear()
    checkout = Path(__file__).resolve().parents[3]
    assert (checkout / "app.py").exists()
    assert settings().data_dir == checkout / "data"
    assert settings().database_url.endswith(f"{checkout / 'data' / 'portal.duckdb'}")
