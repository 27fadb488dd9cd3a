"""The append-only, tamper-evident audit log (docs/rules/security.md 20-21).

Each entry's `mac` is an HMAC-SHA256, keyed from configuration (never stored in the database),
over the entry's content and the previous entry's `mac`. `audit_head` holds the last link under
a MAC of its own, so cutting entries off the end is detected and the head cannot be set back
without the key. A head set back to an earlier state of its own is caught by the checkpoint: the
last committed (sequence, MAC), keyed, written after each commit to a file in the data directory,
outside the database. Appenders lock the head row (PostgreSQL) or run under the process's DuckDB
transaction lock, so the chain has one order.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import String, cast, event, func, literal, select, update
from sqlalchemy.orm import Session

from services.core import clock, private_files
from services.core.access import Actor
from services.core.config import settings
from services.core.models import AUDIT_GENESIS, AuditEvent, AuditHead

SUCCESS, DENIED, NOT_FOUND, FAILURE = "success", "denied", "not_found", "failure"
SEPARATOR = "\x1f"  # between an entry's fields in what its MAC covers


class Entry(Protocol):
    """An audit entry: the ORM object, or a row of the table read by Core."""

    seq: int
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    actor_username: str | None
    actor_role: str | None
    patient_id: uuid.UUID | None
    acting_for_patient_id: uuid.UUID | None
    action: str
    outcome: str
    detail: str | None
    prev_mac: str


def _content(row: Entry) -> bytes:
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
    return SEPARATOR.join(parts).encode()


def _keyed(*parts: str) -> str:
    return hmac.new(
        settings().audit_key, SEPARATOR.join(parts).encode(), hashlib.sha256
    ).hexdigest()


def _mac_of(content: bytes) -> str:
    return hmac.digest(settings().audit_key, content, "sha256").hex()


def entry_mac(row: Entry) -> str:
    return _mac_of(_content(row))


def _iso_sql(column: Any, dialect: str) -> Any:
    """A timestamp as `datetime.isoformat(timespec="microseconds")` writes it, in SQL."""
    if dialect == "duckdb":
        return func.strftime(column, "%Y-%m-%dT%H:%M:%S.%f")
    return func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS.US')


def content_sql(dialect: str) -> Any:
    """`_content` of each entry, made by the database: a walk then only computes MACs in Python
    (tests hold the two to the same bytes on both databases)."""
    c = AuditEvent.__table__.c

    def text_of(column: Any) -> Any:
        return func.coalesce(cast(column, String), "")

    parts = [
        cast(c.seq, String),
        _iso_sql(c.occurred_at, dialect),
        text_of(c.actor_user_id),
        text_of(c.actor_username),
        text_of(c.actor_role),
        text_of(c.patient_id),
        text_of(c.acting_for_patient_id),
        c.action,
        c.outcome,
        text_of(c.detail),
        c.prev_mac,
    ]
    return func.concat_ws(literal(SEPARATOR), *parts)


def verified_tag(seq: int, mac: str) -> str:
    """The keyed seal of "verified up to entry `seq`, whose MAC was `mac`" (see audit_checks)."""
    return _keyed("verified", str(seq), mac)


def head_mac(last_seq: int, last_mac: str) -> str:
    """The head row's own MAC: without the key, the head cannot be set to another entry."""
    return _keyed("head", str(last_seq), last_mac)


# --- the checkpoint outside the database -----------------------------------------------------

CHECKPOINT_NAME = "audit-checkpoint"
_checkpoint_lock = threading.Lock()
_checkpoint_written: dict[Path, int] = {}


def checkpoint_path() -> Path:
    return settings().data_dir / CHECKPOINT_NAME


def write_checkpoint(seq: int, mac: str) -> None:
    """Replace the checkpoint with (seq, mac) unless this process already wrote a later one."""
    path = checkpoint_path()
    with _checkpoint_lock:
        if _checkpoint_written.get(path, 0) >= seq and path.exists():
            return
        private_files.private_dir(path.parent)  # the data directory
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{seq} {mac} {_keyed('checkpoint', str(seq), mac)}\n")
        os.replace(tmp, path)
        _checkpoint_written[path] = seq


def rewind_checkpoint(seq: int, mac: str) -> None:
    """After a restore: the checkpoint set to the restored chain's head, though it is earlier
    than the one this process or the last app wrote (the restore is recorded in the chain)."""
    with _checkpoint_lock:
        _checkpoint_written.pop(checkpoint_path(), None)
    write_checkpoint(seq, mac)


def _read_checkpoint() -> tuple[int, str] | None | str:
    """(seq, mac), None when there is no checkpoint, or the problem with it."""
    try:
        seq, mac, tag = checkpoint_path().read_text().split()
        if hmac.compare_digest(tag, _keyed("checkpoint", seq, mac)):
            return int(seq), mac
    except FileNotFoundError:
        return None
    except ValueError:
        pass
    return "the checkpoint outside the database was altered"


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    pending = session.info.pop("audit_checkpoint", None)
    if pending is not None:
        write_checkpoint(*pending)


@event.listens_for(Session, "after_rollback")
def _no_checkpoint_after_rollback(session: Session) -> None:
    session.info.pop("audit_checkpoint", None)


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
    row.mac = entry_mac(row)
    session.add(row)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_seq=row.seq, last_mac=row.mac, mac=head_mac(row.seq, row.mac))
    )
    session.info["audit_checkpoint"] = (row.seq, row.mac)
    return row.seq


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    entries: int  # walked (from the start given, if any)
    first_broken_seq: int | None
    problem: str | None
    last_at: datetime | None
    last_seq: int = 0  # the last entry verified (the head read at the outset, when ok)
    last_mac: str = ""


@dataclass(frozen=True)
class Verified:
    """An entry verified before (its MAC then), where a later walk may begin."""

    seq: int
    mac: str


def _anchor(session: Session, seq: int, mac: str) -> bool:
    """The entry at `seq` still carries `mac`, and its content still gives that MAC."""
    log = AuditEvent.__table__
    row = session.execute(select(log).where(log.c.seq == seq)).first()
    return row is not None and row.mac == mac and hmac.compare_digest(mac, entry_mac(row))


def verify_chain(
    session: Session,
    batch: int = 10_000,
    *,
    start: Verified | None = None,
    against: Verified | None = None,
) -> AuditCheck:
    """Walk the chain in order, from the first entry or from one verified before (`start`: only
    what came after it is walked), up to the head as read at the outset (entries appended during
    the walk wait for the next one); report the first broken link, then check the head and the
    checkpoint outside the database (or `against`, an entry known from elsewhere, e.g. a
    backup's head, in its place)."""
    # read before the head, so it can only be behind it
    checkpoint = (against.seq, against.mac) if against is not None else _read_checkpoint()
    head = session.get(AuditHead, 1)
    expected_prev, expected_seq, count, last_at = AUDIT_GENESIS, 1, 0, None
    checkpoint_seen = False
    if start is not None:
        if not _anchor(session, start.seq, start.mac):
            problem = "an entry verified before was altered or removed"
            return AuditCheck(False, 0, start.seq, problem, None)
        expected_prev, expected_seq = start.mac, start.seq + 1
        if isinstance(checkpoint, tuple) and 0 < checkpoint[0] <= start.seq:
            if not _anchor(session, checkpoint[0], checkpoint[1]):
                problem = "entry differs from the checkpoint"
                return AuditCheck(False, 0, checkpoint[0], problem, None)
            checkpoint_seen = True
    end = head.last_seq if head is not None else 0
    c = AuditEvent.__table__.c
    content = content_sql(session.get_bind().dialect.name)
    after = expected_seq - 1
    while True:
        rows = session.execute(
            select(c.seq, c.prev_mac, c.mac, c.occurred_at, content)
            .where(c.seq > after, c.seq <= end)
            .order_by(c.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for seq, prev_mac, mac, occurred_at, text_ in rows:
            if seq != expected_seq:
                return AuditCheck(
                    False, count, expected_seq, "entry missing or out of order", last_at
                )
            if prev_mac != expected_prev:
                return AuditCheck(False, count, seq, "link to the previous entry broken", last_at)
            if not hmac.compare_digest(mac, _mac_of(text_.encode())):
                return AuditCheck(False, count, seq, "entry content altered", last_at)
            if isinstance(checkpoint, tuple) and seq == checkpoint[0]:
                if mac != checkpoint[1]:
                    return AuditCheck(
                        False, count, seq, "entry differs from the checkpoint", last_at
                    )
                checkpoint_seen = True
            expected_prev, expected_seq, last_at = mac, seq + 1, occurred_at
            count += 1
        after = rows[-1][0]
    if head is None or not hmac.compare_digest(
        head.mac or "", head_mac(head.last_seq, head.last_mac)
    ):
        return AuditCheck(False, count, expected_seq, "the chain's head was altered", last_at)
    if head.last_seq != expected_seq - 1 or head.last_mac != expected_prev:
        return AuditCheck(False, count, expected_seq, "entries removed from the end", last_at)
    if isinstance(checkpoint, str):
        return AuditCheck(False, count, expected_seq, checkpoint, last_at)
    if checkpoint is None and head.last_seq:
        problem = "the checkpoint outside the database is missing"
        return AuditCheck(False, count, expected_seq, problem, last_at)
    if checkpoint is not None and not checkpoint_seen and checkpoint[0] > 0:
        problem = "entries removed from the end (the checkpoint outside the database has more)"
        return AuditCheck(False, count, expected_seq, problem, last_at)
    if last_at is None and head.last_seq:
        last_at = session.scalar(
            select(AuditEvent.occurred_at).where(AuditEvent.seq == head.last_seq)
        )
    return AuditCheck(True, count, None, None, last_at, head.last_seq, head.last_mac)
