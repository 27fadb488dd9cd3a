"""Throttling for forms used before signing in (registration, account recovery).

Keys are keyed hashes of what was tried (never the values), so the table holds no PHI. Five
failures within 15 minutes block the key for 15 minutes; the block ends by itself.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from services.core import clock, crypto
from services.core.errors import RateLimited
from services.core.language import N_, t
from services.core.models import Throttle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
BLOCK = timedelta(minutes=15)
TOO_MANY = N_("Too many attempts. Please wait 15 minutes and try again, or call the clinic.")


def key(*parts: str) -> str:
    return crypto.code_hash("\x1f".join(p.strip().lower() for p in parts))


def check(session: Session, key_hash: str) -> None:
    row = session.get(Throttle, key_hash)
    if row is not None and row.blocked_until is not None and row.blocked_until > clock.now():
        raise RateLimited(t(TOO_MANY))


def allow(session: Session, key_hash: str, limit: int = MAX_FAILURES) -> bool:
    """Count this request against the key; False once the key is blocked (for forms whose
    answer must not change when blocked, like account recovery). `limit` requests in a
    window block the key."""
    try:
        check(session, key_hash)
    except RateLimited:
        return False
    fail(session, key_hash, limit)
    return True


def fail(session: Session, key_hash: str, limit: int = MAX_FAILURES) -> None:
    """Count a failure in the caller's transaction (which must commit before raising)."""
    now = clock.now()
    row = session.get(Throttle, key_hash)
    if row is None or now - row.window_started_at > WINDOW:
        if row is None:
            row = Throttle(key_hash=key_hash, failures=0, window_started_at=now)
            session.add(row)
        row.failures, row.window_started_at, row.blocked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.blocked_until = now + BLOCK
