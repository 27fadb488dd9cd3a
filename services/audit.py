"""The append-only, tamper-evident audit log (SECURITY.md 20-21).

Each entry's `mac` is an HMAC-SHA256, keyed from configuration (never stored in the database),
over the entry's content and the previous entry's `mac`. `audit_head` holds the last link, so
cutting entries off the end is detected too. Appenders lock the head row (PostgreSQL) or run
under the process's DuckDB transaction lock, so the chain has one order.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services import clock
from services.access import Actor
from services.config import settings
from services.models import AUDIT_GENESIS, AuditEvent, AuditHead

SUCCESS, DENIED, NOT_FOUND, FAILURE = "success", "denied", "not_found", "failure"


def _content(row: AuditEvent) -> bytes:
    parts = [
        str(row.seq),
        row.occurred_at.isoformat(timespec="microseconds"),
        str(row.actor_user_id or ""),
        row.actor_username or "",
        row.actor_role or "",
        str(row.patient_id or ""),
        str(row.acting_for_patient_id or ""),
        row.action,
        row.outcome,
        row.detail or "",
        row.prev_mac,
    ]
    return "\x1f".join(parts).encode()


def _mac(row: AuditEvent) -> str:
    return hmac.new(settings().audit_key, _content(row), hashlib.sha256).hexdigest()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    patient_id: uuid.UUID | None = None,
    outcome: str = SUCCESS,
    detail: str | None = None,
    username: str | None = None,
) -> int:
    """Append one event in the caller's transaction; returns its sequence number."""
    query = select(AuditHead).where(AuditHead.id == 1)
    if session.get_bind().dialect.name != "duckdb":
        query = query.with_for_update()
    head = session.scalars(query).one()
    acting_for = actor.acting_for if actor and actor.acting_for != actor.patient_id else None
    row = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=clock.now(),
        actor_user_id=actor.user_id if actor else None,
        actor_username=actor.username if actor else username,
        actor_role=actor.primary_role if actor else None,
        patient_id=patient_id,
        acting_for_patient_id=acting_for,
        action=action,
        outcome=outcome,
        detail=(detail or None) and detail[:200],
        prev_mac=head.last_mac,
        mac="",
    )
    row.mac = _mac(row)
    session.add(row)
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_seq=row.seq, last_mac=row.mac)
    )
    return row.seq


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    entries: int
    first_broken_seq: int | None
    problem: str | None
    last_at: datetime | None


def verify_chain(session: Session, batch: int = 10_000) -> AuditCheck:
    """Walk the whole chain in order; report the first broken link."""
    expected_prev, expected_seq, count, last_at = AUDIT_GENESIS, 1, 0, None
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return AuditCheck(
                    False, count, expected_seq, "entry missing or out of order", last_at
                )
            if row.prev_mac != expected_prev:
                return AuditCheck(
                    False, count, row.seq, "link to the previous entry broken", last_at
                )
            if not hmac.compare_digest(row.mac, _mac(row)):
                return AuditCheck(False, count, row.seq, "entry content altered", last_at)
            expected_prev, expected_seq, last_at = row.mac, row.seq + 1, row.occurred_at
            count += 1
        after = rows[-1].seq
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_mac != expected_prev):
        return AuditCheck(False, count, expected_seq, "entries removed from the end", last_at)
    return AuditCheck(True, count, None, None, last_at)
