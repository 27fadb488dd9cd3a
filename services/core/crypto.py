"""Secrets at rest (docs/rules/security.md 22): encryption of TOTP secrets, keyed hashes of one-time
codes.

Both keys are derived from the configured `secret_key`, which never lives in the database.
Codes and tokens come from `secrets`, never from `random`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string

from cryptography.fernet import Fernet, InvalidToken

from services.core.config import settings
from services.core.errors import ConfigurationError


def _subkey(label: str) -> bytes:
    return hmac.new(settings().secret_key, label.encode(), hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_subkey("encryption")))


def encrypt(plain: bytes) -> bytes:
    return _fernet().encrypt(plain)


def decrypt(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken:
        raise ConfigurationError(
            "a stored secret cannot be decrypted: the secret key changed"
        ) from None


def code_hash(code: str) -> str:
    """A keyed hash of a one-time code or token; the code itself is never stored."""
    normalised = code.strip().replace("-", "").replace(" ", "").upper()
    return hmac.new(_subkey("codes"), normalised.encode(), hashlib.sha256).hexdigest()


def codes_match(code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(code), stored_hash)


def digits(n: int = 6) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def recovery_code() -> str:
    """Ten characters from an unambiguous alphabet (about 50 bits), shown as XXXXX-XXXXX."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def token() -> str:
    return secrets.token_urlsafe(32)
