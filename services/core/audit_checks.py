"""Verifying the audit chain at scale: a full walk by the daily job, and on the admins' home an
incremental walk of what was appended since the last verified entry.

Each verification is stored (`audit_verifications`) with its result. An incremental walk starts
after the newest verified entry whose row carries a valid keyed tag (so a row forged without the
audit key is no starting point) and first checks that this entry still has the MAC it had; an
entry changed before that point is what the full walk is for, and the admins' home shows the last
full result beside the incremental one."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core import audit, clock, db
from services.core.models import AuditVerification

FULL, INCREMENTAL = "full", "incremental"
EVERY = timedelta(days=1) - timedelta(minutes=5)  # the full walk: daily, whatever the job's tick
V = AuditVerification


@dataclass(frozen=True)
class Verification:
    """A stored verification, as admins see it."""

    kind: str
    ended_at: datetime
    seconds: float
    entries: int
    ok: bool
    last_seq: int
    first_broken_seq: int | None
    problem: str | None


def _start(session: Session) -> audit.Verified | None:
    """The newest verified entry that a walk may begin after (its row sealed with the key)."""
    found = session.execute(
        select(V.last_seq, V.last_mac, V.tag)
        .where(V.ok.is_(True))
        .order_by(V.last_seq.desc())
        .limit(100)  # all forged: walk everything
    )
    for seq, mac, tag in found:
        if hmac.compare_digest(tag, audit.verified_tag(seq, mac)):
            return audit.Verified(seq, mac)
    return None


def _store(session: Session, kind: str, started: datetime, check: audit.AuditCheck) -> None:
    session.add(
        V(
            kind=kind,
            started_at=started,
            ended_at=clock.now(),
            entries=check.entries,
            ok=check.ok,
            last_seq=check.last_seq,
            last_mac=check.last_mac,
            first_broken_seq=check.first_broken_seq,
            problem=check.problem,
            tag=audit.verified_tag(check.last_seq, check.last_mac) if check.ok else "",
        )
    )


def incremental(session: Session) -> audit.AuditCheck:
    """Verify what was appended since the newest verified entry (everything, the first time);
    stored when it got further or found a problem. In the caller's transaction."""
    started = clock.now()
    start = _start(session)
    check = audit.verify_chain(session, start=start)
    if not check.ok or start is None or check.last_seq > start.seq:
        _store(session, INCREMENTAL, started, check)
    return check


def full() -> int:
    """The job: the whole chain walked (outside any write lock: the app goes on appending, the
    walk stops at the head it read first), once a day; how many entries it walked."""
    with db.read_only() as session:
        last = session.scalar(select(V.ended_at).where(V.kind == FULL).order_by(V.ended_at.desc()))
    if last is not None and clock.now() - last < EVERY:
        return 0
    started = clock.now()
    with db.read_only() as session:
        check = audit.verify_chain(session)
    with db.transaction() as session:
        _store(session, FULL, started, check)
    return check.entries


def last_full(session: Session) -> Verification | None:
    row = session.scalars(select(V).where(V.kind == FULL).order_by(V.ended_at.desc())).first()
    if row is None:
        return None
    return Verification(
        kind=row.kind,
        ended_at=row.ended_at,
        seconds=(row.ended_at - row.started_at).total_seconds(),
        entries=row.entries,
        ok=row.ok,
        last_seq=row.last_seq,
        first_broken_seq=row.first_broken_seq,
        problem=row.problem,
    )
