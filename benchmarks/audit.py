"""Issue 17's audit figures (`python -m benchmarks audit --entries 100000000`): verifying the
audit chain at 10 and 100 million entries.

A chain of that many entries is made once (each MAC computed by `audit.entry_mac`, as the app
computes it; bulk-loaded in Arrow batches) and kept under benchmarks/results. Measured in the
same run on it: the daily job's full walk (`audit_checks.full`), and the admins' home's
incremental walk after a thousand entries were appended through `audit.record`, against the plain
approach it replaced: walking the whole chain on every visit (the full walk's time).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import delete, select, update

from services.core import audit, audit_checks, db
from services.core.models import AUDIT_GENESIS, AuditEvent, AuditHead, AuditVerification

BATCH = 1_000_000
APPENDED = 1_000  # entries appended between two visits of the admins' home
KEY = "benchmark-audit-key-0123456789abcdef0123456789abcdef"
ACTIONS = ("home.patient.view", "results.view", "metrics.view", "records.view", "auth.sign_in")
ROLES = ("patient", "clinician", "him", "billing")


@dataclass
class _Row:
    """One entry's content, refilled for each entry (no object per entry)."""

    seq: int = 0
    occurred_at: datetime = datetime(2021, 1, 1)
    actor_user_id: uuid.UUID | None = None
    actor_username: str | None = None
    actor_role: str | None = None
    patient_id: uuid.UUID | None = None
    acting_for_patient_id: uuid.UUID | None = None
    action: str = ""
    outcome: str = audit.SUCCESS
    detail: str | None = None
    prev_mac: str = ""


def _batch(first: int, count: int, prev: str, start: datetime) -> tuple[pa.Table, str]:
    """Entries first..first+count-1 chained after `prev`, about 1.6 s apart (100 M in 5 years)."""
    people = [uuid.UUID(int=k + 1) for k in range(10_000)]
    row = _Row()
    columns: dict[str, list[Any]] = {
        k: [] for k in ("seq", "occurred_at", "actor_username", "actor_role", "patient_id")
    }
    columns |= {"action": [], "outcome": [], "prev_mac": [], "mac": []}
    for seq in range(first, first + count):
        person = people[seq % len(people)]
        row.seq, row.prev_mac = seq, prev
        row.occurred_at = start + timedelta(microseconds=seq * 1_600_000)
        row.actor_username, row.actor_role = f"user{seq % 10_000}", ROLES[seq % len(ROLES)]
        row.patient_id, row.action = person, ACTIONS[seq % len(ACTIONS)]
        prev = audit.entry_mac(row)
        for name in ("seq", "occurred_at", "actor_username", "actor_role", "action", "outcome"):
            columns[name].append(getattr(row, name))
        columns["patient_id"].append(str(person))
        columns["prev_mac"].append(row.prev_mac)
        columns["mac"].append(prev)
    return pa.table(columns), prev


def _make(entries: int) -> float:
    """A database holding a valid chain of `entries` entries, each batch committed on its own (one
    transaction of 100 M rows held 18.5 GB at 56 M on DuckDB), going on from a chain an earlier
    run left unfinished; seconds taken."""
    started = time.perf_counter()
    with db.read_only() as s:
        last = s.execute(
            select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
    done, prev = (last.seq, last.mac) if last else (0, AUDIT_GENESIS)
    for first in range(done + 1, entries + 1, BATCH):
        table, prev = _batch(first, min(BATCH, entries + 1 - first), prev, datetime(2021, 1, 1))
        with db.engine().begin() as conn:
            db.bulk_insert(conn, AuditEvent.__table__, table)  # type: ignore[arg-type]
        print(f"  audit chain: {first + table.num_rows - 1:,} entries", flush=True)
    with db.transaction() as s:
        s.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_seq=entries, last_mac=prev, mac=audit.head_mac(entries, prev))
        )
    audit.write_checkpoint(entries, prev)
    return time.perf_counter() - started


def _append(count: int) -> None:
    with db.transaction() as s:
        for _ in range(count):
            audit.record(s, None, "benchmark.append", username="benchmark")


def run(folder: Path, entries: int, runs: int, url: str | None) -> dict[str, Any]:
    """Make (once) a chain of `entries`, then time the full and the incremental walks."""
    target = url or f"duckdb:///{folder / f'audit-{entries}e.duckdb'}"
    os.environ |= {
        "PORTAL_DATABASE_URL": target,
        "PORTAL_AUDIT_KEY": KEY,
        "PORTAL_DATA_DIR": str(folder / f"audit-{entries}e-data"),
    }
    db.reset()
    figures: dict[str, Any] = {"entries": entries, "database": target.split(":")[0]}
    with db.read_only() as s:
        head = s.get(AuditHead, 1)
    if head is None or head.last_seq < entries:
        figures["made_seconds"] = round(_make(entries), 1)
    with db.transaction() as s:  # a clean slate: no verification stored
        s.execute(delete(AuditVerification))
    started = time.perf_counter()
    walked = audit_checks.full()
    full_ms = (time.perf_counter() - started) * 1000
    with db.read_only() as s:
        last = audit_checks.last_full(s)
    assert last is not None and last.ok, "the chain made here must verify"
    figures["full"] = {"ms": round(full_ms), "entries": walked}
    figures["full_entries_per_second"] = round(walked / full_ms * 1000)
    samples = []
    for _ in range(runs):
        _append(APPENDED)
        started = time.perf_counter()
        with db.transaction() as s:
            check = audit_checks.incremental(s)
        samples.append((time.perf_counter() - started) * 1000)
        assert check.ok and check.entries == APPENDED
    samples.sort()
    figures["incremental"] = {
        "appended": APPENDED,
        "runs": runs,
        "median_ms": round(samples[len(samples) // 2], 1),
        "max_ms": round(samples[-1], 1),
    }
    figures["full_vs_incremental"] = round(full_ms / figures["incremental"]["median_ms"])
    db.reset()
    return figures


def table(f: dict[str, Any]) -> str:
    made = f" (made in {f['made_seconds']} s)" if "made_seconds" in f else ""
    return "\n".join(
        [
            f"Audit chain: {f['entries']:,} entries on {f['database']}{made}",
            f"  full walk (daily job): {f['full']['ms']:,} ms "
            f"({f['full_entries_per_second']:,} entries/s)",
            f"  incremental walk after {f['incremental']['appended']:,} new entries: "
            f"{f['incremental']['median_ms']} ms median of {f['incremental']['runs']} "
            f"= {f['full_vs_incremental']:,}x faster than walking everything on each visit",
        ]
    )
