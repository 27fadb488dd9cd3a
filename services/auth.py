"""Sign-in against the database (SECURITY.md 1-3): argon2 hashes, one answer for every failure,
throttling that locks an account for a while and then lets it go by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit, clock, db, passwords, sessions
from services.access import Actor, actor_for
from services.errors import AuthenticationFailed, ValidationError
from services.models import User

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")
# The same words for an unknown user, a wrong password, a locked or a disabled account.
SIGN_IN_FAILED = "Incorrect username or password."
MAX_USERNAME = 64
MAX_PASSWORD = passwords.MAX_LENGTH
# Throttling: from the 5th failure in a row the account pauses 1, 2, 4 ... minutes (at most 60);
# the pause ends by itself, so a lock cannot keep the real user out for good.
LOCK_AFTER = 5
MAX_LOCK = timedelta(minutes=60)


def hash_password(password: str) -> str:
    return _hasher.hash(passwords.normalise(password))


def password_matches(user: User | None, password: str) -> bool:
    try:
        return bool(
            _hasher.verify(
                user.password_hash if user else _DUMMY_HASH, passwords.normalise(password)
            )
        )
    except (VerificationError, InvalidHashError):
        return False


def lock_for(failures: int) -> timedelta | None:
    """How long the account pauses after this many failures in a row."""
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 16)  # 2**16 minutes is far past the cap already
    return min(timedelta(minutes=2**doublings), MAX_LOCK)


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    token: str  # the server-side session's token, for the browser


def _fail(session: Session, user: User | None, username: str, reason: str) -> None:
    if user is not None and reason == "bad password":
        user.failed_attempts += 1
        pause = lock_for(user.failed_attempts)
        if pause is not None:
            user.locked_until = clock.now() + pause
            minutes = pause.total_seconds() / 60
            audit.record(
                session,
                actor_for(session, user),
                "auth.lockout",
                outcome=audit.DENIED,
                detail=f"{user.failed_attempts} failures; paused {minutes:.0f} min",
            )
    audit.record(
        session, None, "auth.sign_in", outcome=audit.FAILURE, username=username, detail=reason
    )


def sign_in(*, username: str, password: str) -> SignedIn:
    """A new session for a correct username and password; AuthenticationFailed otherwise."""
    username = (username or "").strip().lower()
    fields = {}
    if not username:
        fields["username"] = "Enter your username."
    if not password:
        fields["password"] = "Enter your password."
    if fields:
        raise ValidationError(fields)
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        raise AuthenticationFailed(SIGN_IN_FAILED)
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        ok = password_matches(user, password)
        now = clock.now()
        if user is None:
            _fail(session, None, username, "unknown user")
        elif user.locked_until is not None and user.locked_until > now:
            _fail(session, user, username, "locked")
        elif not ok:
            _fail(session, user, username, "bad password")
        elif user.status != "active":
            _fail(session, user, username, f"status {user.status}")
        else:
            user.failed_attempts = 0
            user.locked_until = None
            user.last_sign_in_at = now
            actor = actor_for(session, user)
            token = sessions.start(session, user)
            audit.record(session, actor, "auth.sign_in")
            return SignedIn(actor, token)
    raise AuthenticationFailed(SIGN_IN_FAILED)
