"""Server-side sessions (docs/rules/security.md 7-8): the browser holds only a random token.

Each sign-in makes a new session record. A session ends on sign-out, "sign out everywhere",
a password change (the other sessions), an admin's disable, after the idle timeout, or at its
absolute lifetime; every tab finds out on its next rerun.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.core import audit, clock, crypto, db
from services.core.access import Actor, actor_for
from services.core.config import settings
from services.core.errors import AuthenticationFailed
from services.core.language import N_, t
from services.core.models import User
from services.identity.tables import UserSession

SESSION_ENDED = N_("Your session has ended. Please sign in again.")
# Activity is written at most this often, so a busy page does not write on every rerun.
TOUCH_EVERY = timedelta(seconds=20)


@dataclass(frozen=True)
class SessionView:
    actor: Actor
    idle_deadline: datetime
    absolute_deadline: datetime

    def seconds_left(self, now: datetime) -> float:
        return (min(self.idle_deadline, self.absolute_deadline) - now).total_seconds()


def start(session: Session, user: User) -> str:
    """A new session record in the caller's transaction; returns the token for the browser."""
    token = crypto.token()
    now = clock.now()
    session.add(
        UserSession(
            user_id=user.id, token_hash=crypto.code_hash(token), created_at=now, last_seen_at=now
        )
    )
    return token


def _deadlines(row: UserSession) -> tuple[datetime, datetime]:
    cfg = settings()
    return (
        row.last_seen_at + timedelta(minutes=cfg.idle_timeout_minutes),
        row.created_at + timedelta(hours=cfg.session_lifetime_hours),
    )


def _live(session: Session, token: str) -> tuple[UserSession, User]:
    """The live session for a token, ending it here if it has timed out."""
    row = session.scalars(
        select(UserSession).where(UserSession.token_hash == crypto.code_hash(token or "-"))
    ).one_or_none()
    if row is None or row.ended_at is not None:
        raise AuthenticationFailed(t(SESSION_ENDED))
    user = session.get(User, row.user_id)
    now = clock.now()
    idle, absolute = _deadlines(row)
    reason = None
    if user is None or user.status != "active":
        reason = "account_disabled"
    elif now >= absolute:
        reason = "lifetime"
    elif now >= idle:
        reason = "idle"
    if reason is not None:
        raise _Ended(reason, row.user_id)
    assert user is not None
    return row, user


class _Ended(AuthenticationFailed):
    def __init__(self, reason: str, user_id: uuid.UUID) -> None:
        super().__init__(t(SESSION_ENDED))
        self.reason, self.user_id = reason, user_id


def _view(
    session: Session, row: UserSession, user: User, acting_for: uuid.UUID | None
) -> SessionView:
    idle, absolute = _deadlines(row)
    return SessionView(actor_for(session, user).acting_as(acting_for), idle, absolute)


def session_resume(*, token: str, acting_for: uuid.UUID | None) -> SessionView:
    """Every full rerun: the signed-in actor, counting this as activity."""
    try:
        with db.read_only() as session:  # most runs only read (on DuckDB: no write lock taken)
            row, user = _live(session, token)
            if clock.now() - row.last_seen_at < TOUCH_EVERY:
                return _view(session, row, user, acting_for)
        with db.transaction() as session:  # counted as activity: a write
            row, user = _live(session, token)
            row.last_seen_at = clock.now()
            return _view(session, row, user, acting_for)
    except _Ended as ended:
        with db.transaction() as session:
            _close(session, token, ended.reason)
            owner_row = session.get(User, ended.user_id)
            owner = actor_for(session, owner_row) if owner_row is not None else None
            audit.record(session, owner, "auth.session_end", detail=ended.reason)
        raise AuthenticationFailed(t(SESSION_ENDED)) from None


def _close(session: Session, token: str, reason: str) -> None:
    session.execute(
        update(UserSession)
        .where(
            UserSession.token_hash == crypto.code_hash(token or "-"), UserSession.ended_at.is_(None)
        )
        .values(ended_at=clock.now(), end_reason=reason)
    )


def end_sessions(session: Session, user_ids: Any, reason: str) -> None:
    """End every live session of these users (ids, or a select of them) in the caller's
    transaction; their next rerun signs them out."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id.in_(user_ids), UserSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=reason)
    )


def session_status(*, token: str) -> float:
    """Seconds left before the session times out, without counting as activity (the timer)."""
    with db.read_only() as session:
        try:
            row, user = _live(session, token)
        except AuthenticationFailed:
            return 0.0
        return _view(session, row, user, None).seconds_left(clock.now())


def session_roles(*, token: str) -> frozenset[str]:
    """The roles of a live session's user (none when it has ended), without counting as
    activity: what the server's guards ask before serving an admin-only route."""
    with db.read_only() as session:
        try:
            _, user = _live(session, token)
        except AuthenticationFailed:
            return frozenset()
        return actor_for(session, user).roles


def session_end(*, actor: Actor, token: str) -> None:
    """Sign out of this browser."""
    with db.transaction() as session:
        _close(session, token, "sign_out")
        audit.record(session, actor, "auth.sign_out")


def sessions_end_all(*, actor: Actor, except_token: str | None = None) -> int:
    """Sign out everywhere (or everywhere else); returns how many sessions ended."""
    with db.transaction() as session:
        live = select(UserSession.id).where(
            UserSession.user_id == actor.user_id, UserSession.ended_at.is_(None)
        )
        if except_token is not None:
            live = live.where(UserSession.token_hash != crypto.code_hash(except_token))
        ids = list(session.scalars(live))
        if ids:
            session.execute(
                update(UserSession)
                .where(UserSession.id.in_(ids))
                .values(ended_at=clock.now(), end_reason="sign_out_everywhere")
            )
        audit.record(session, actor, "auth.sign_out_everywhere", detail=f"{len(ids)} sessions")
        return len(ids)
