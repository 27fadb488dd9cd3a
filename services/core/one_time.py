"""Single-use, expiring codes and tokens, stored only as keyed hashes (docs/rules/security.md 5
and 22)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core import clock, crypto
from services.core.models import OneTimeCode


def issue(
    session: Session, user_id: uuid.UUID, purpose: str, lifetime: timedelta, secret: str
) -> None:
    """Record a code for the user in the caller's transaction (the caller sends the code)."""
    now = clock.now()
    session.add(
        OneTimeCode(
            user_id=user_id,
            purpose=purpose,
            code_hash=crypto.code_hash(secret),
            created_at=now,
            expires_at=now + lifetime,
            attempts=0,
        )
    )


def latest_live(
    session: Session, user_id: uuid.UUID, purpose: str, max_attempts: int
) -> OneTimeCode | None:
    """The user's newest unused, unexpired code for this purpose with tries left."""
    return session.scalars(
        select(OneTimeCode)
        .where(
            OneTimeCode.user_id == user_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > clock.now(),
            OneTimeCode.attempts < max_attempts,
        )
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    ).one_or_none()
