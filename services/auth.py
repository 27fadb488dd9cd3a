"""Sign-in against the database: argon2 password hashes, one answer for every failure."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit, clock, db
from services.access import Actor
from services.errors import AuthenticationFailed, ValidationError
from services.models import User, UserRole

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")
SIGN_IN_FAILED = "Incorrect username or password."
MAX_USERNAME = 64
MAX_PASSWORD = 256


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def build_actor(session: Session, user: User) -> Actor:
    """The immutable actor value for a user row (roles read from the database)."""
    roles = frozenset(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        patient_id=user.patient_id,
        acting_for=user.patient_id,
    )


def sign_in(*, username: str, password: str) -> Actor:
    """The actor for a correct username and password; AuthenticationFailed otherwise."""
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
        try:
            ok: bool = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if user is None or not ok or user.status != "active":
            if user is not None:
                user.failed_attempts += 1
            audit.record(
                session,
                None,
                "auth.sign_in",
                outcome=audit.FAILURE,
                username=username,
                detail="unknown user"
                if user is None
                else f"status {user.status}"
                if ok
                else "bad password",
            )
        else:
            user.failed_attempts = 0
            user.last_sign_in_at = clock.now()
            actor = build_actor(session, user)
            audit.record(session, actor, "auth.sign_in")
            return actor
    raise AuthenticationFailed(SIGN_IN_FAILED)


def actor_refresh(*, user_id: uuid.UUID, acting_for: uuid.UUID | None) -> Actor:
    """Re-read the signed-in user on every run, so a disabled account stops at once."""
    with db.read_only() as session:
        user = session.get(User, user_id)
        if user is None or user.status != "active":
            raise AuthenticationFailed("Your session has ended. Please sign in again.")
        return build_actor(session, user).acting_as(acting_for)


def sign_out(*, actor: Actor) -> None:
    with db.transaction() as session:
        audit.record(session, actor, "auth.sign_out")
