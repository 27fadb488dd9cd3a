"""The crash harness: run the crash writer (tests/support/crash_writer.py) against the configured
database, kill it with SIGKILL at a random moment, and check what it left: every write it
reported is there, no unit of work is there in part, and the audit chain verifies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from services.billing.tables import Checkout, Payment
from services.care.tables import Message, MessageThread
from services.core import audit, db
from services.health import device_import
from services.health.tables import BloodPressureReading, GlucoseReading
from services.records.tables import LabResult, ResultHoldDecision
from tests.conftest import NOW
from tests.support.crash_writer import FIRST_DAY, IMPORT_ROWS
from tests.support.served import ROOT


@dataclass
class Drill:
    trials: int = 0
    confirmed: Counter[str] = field(default_factory=Counter)  # writes reported, by kind
    lost: list[str] = field(default_factory=list)  # reported but not there
    partial: list[str] = field(default_factory=list)  # units of work there in part
    broken_chains: list[str] = field(default_factory=list)
    killed_after: list[float] = field(default_factory=list)  # seconds of writing


def _reported(trial: int, seconds: float) -> tuple[list[str], float]:
    """Start the writer, let it write for `seconds`, kill it; the lines it printed."""
    lines: list[str] = []
    ready = threading.Event()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.crash_writer", str(trial)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert writer.stdout is not None

    def read() -> None:
        for line in writer.stdout:  # type: ignore[union-attr]
            if line.strip() == "ready":
                ready.set()
            else:
                lines.append(line.strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(120):
        writer.kill()
        raise RuntimeError(f"the crash writer did not start (exit {writer.poll()})")
    began = time.monotonic()
    time.sleep(seconds)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    reader.join(timeout=30)
    return list(lines), time.monotonic() - began


def _present(line: str) -> bool:
    kind, *rest = line.split()
    with db.read_only() as s:
        if kind == "reading":
            patient, at = uuid.UUID(rest[0]), datetime.fromisoformat(rest[1])
            found = select(func.count()).where(
                BloodPressureReading.patient_id == patient, BloodPressureReading.measured_at == at
            )
            return bool(s.scalar(found))
        if kind == "import":
            patient, first, rows = uuid.UUID(rest[0]), datetime.fromisoformat(rest[1]), int(rest[2])
            found = select(func.count()).where(
                GlucoseReading.patient_id == patient,
                GlucoseReading.source == device_import.DEVICE,
                GlucoseReading.measured_at >= first,
                GlucoseReading.measured_at < first + timedelta(minutes=rows),
            )
            return s.scalar(found) == rows
        if kind == "release":
            result = uuid.UUID(rest[0])
            return s.scalar(select(LabResult.released_at).where(LabResult.id == result)) is not None
        if kind == "message":
            thread = uuid.UUID(rest[0])
            return bool(s.scalar(select(func.count()).where(Message.thread_id == thread)))
        if kind == "payment":
            status = s.scalar(select(Payment.status).where(Payment.id == uuid.UUID(rest[0])))
            return status == "succeeded"
    raise ValueError(f"an unknown line from the crash writer: {line!r}")


def _partial_units(trials: int) -> list[str]:
    """Units of work found in part: an imported file's readings not all there, a thread with no
    message, a released result without its release decision, a paid page without its payment
    or a payment without its paid page."""
    found: list[str] = []
    with db.read_only() as s:
        times = s.scalars(
            select(GlucoseReading.measured_at).where(
                GlucoseReading.source == device_import.DEVICE,
                GlucoseReading.measured_at >= NOW - timedelta(days=FIRST_DAY + trials + 1),
                GlucoseReading.measured_at < NOW - timedelta(days=FIRST_DAY - 1),
            )
        ).all()
        ours = [t for t in times if t.second == 13]  # the writer's (see crash_writer._minutes)
        if len(ours) % IMPORT_ROWS:
            found.append(f"{len(ours)} imported readings: not whole files of {IMPORT_ROWS}")
        empty = s.scalars(
            select(MessageThread.id).where(~MessageThread.id.in_(select(Message.thread_id)))
        ).all()
        found += [f"thread {t} without a message" for t in empty]
        undecided = s.scalars(
            select(LabResult.id).where(
                LabResult.held_at.is_not(None),
                LabResult.released_at.is_not(None),
                ~LabResult.id.in_(
                    select(ResultHoldDecision.result_id).where(
                        ResultHoldDecision.decision == "release"
                    )
                ),
            )
        ).all()
        found += [f"result {r} released without its decision" for r in undecided]
        paid_pages = set(
            s.scalars(
                select(Checkout.payment_ref).where(
                    Checkout.status == "paid", Checkout.created_at >= NOW
                )
            )
        )
        online = set(
            s.scalars(
                select(Payment.processor_ref).where(
                    Payment.online.is_(True), Payment.status == "succeeded", Payment.paid_at >= NOW
                )
            )
        )
        found += [f"paid page {r} without a payment" for r in paid_pages - online]
        found += [f"payment {r} without its paid page" for r in online - paid_pages]
    return found


def drill(trials: int, rng: random.Random, max_seconds: float = 2.5) -> Drill:
    """`trials` kills of the writer, each after a random 0.2 s to `max_seconds` of writing,
    with everything checked after each (the database reopened as after a restart)."""
    result = Drill()
    for trial in range(trials):
        db.reset()  # the writer is the one process holding a DuckDB file
        lines, seconds = _reported(trial, rng.uniform(0.2, max_seconds))
        db.reset()
        result.trials += 1
        result.killed_after.append(seconds)
        for line in lines:
            if line.startswith("refused"):
                continue
            result.confirmed[line.split()[0]] += 1
            if not _present(line):
                result.lost.append(line)
        result.partial += _partial_units(trials)
        with db.read_only() as s:
            check = audit.verify_chain(s)
        if not check.ok:
            result.broken_chains.append(f"trial {trial}: {check.problem}")
    return result
