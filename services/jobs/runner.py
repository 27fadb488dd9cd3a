"""Runs each due job once per slot of its schedule, on the freezable clock, and records every
run. A job that fails is recorded with its error and tried again on the next tick; it never
stops the others.

Two runners never run one job at once: on PostgreSQL a session-level advisory lock per job
(several `python -m worker` workers, or app processes), on DuckDB a lock in the one process that
may write. Under the lock the runner looks again whether the slot is done, so a job runs once
per slot however many runners tick.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, text

from services.core import clock, db
from services.core.models import JobRun
from services.jobs.registry import JOBS, Job

log = logging.getLogger("portal.jobs")
SUCCESS, FAILURE = "success", "failure"
_EPOCH = datetime(1970, 1, 1)
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Ran:
    job: str
    outcome: str
    items: int
    error: str | None


def slot_of(job: Job, now: datetime) -> datetime:
    """The start of the schedule's period that `now` falls in (UTC, naive like every time)."""
    return _EPOCH + (now - _EPOCH) // job.every * job.every


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _exclusive(job: Job) -> Iterator[bool]:
    """Whether this runner holds the job's lock (and then holds it until the block ends)."""
    eng = db.engine()
    if db.is_duckdb(eng):
        with _process_locks_guard:
            lock = _process_locks.setdefault(job.name, threading.Lock())
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()
        return
    with eng.connect() as conn:
        got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(job.name)}))
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(job.name)})
                conn.commit()


def _slot_done(job: Job, slot: datetime) -> bool:
    with db.read_only() as session:
        return bool(
            session.scalar(
                select(
                    exists().where(
                        JobRun.job == job.name, JobRun.slot == slot, JobRun.outcome == SUCCESS
                    )
                )
            )
        )


def run_one(job: Job) -> Ran | None:
    """Run the job if its current slot is not done and no other runner is at it; None if not."""
    slot = slot_of(job, clock.now())
    with _exclusive(job) as mine:
        if not mine or _slot_done(job, slot):
            return None
        started = clock.now()
        try:
            items, outcome, error = int(job.run()), SUCCESS, None
        except Exception as exc:  # recorded and retried next tick; never stops the others
            items, outcome, error = 0, FAILURE, f"{type(exc).__name__}: {exc}"[:500]
            log.exception("job %s failed", job.name)
        with db.transaction() as session:
            session.add(
                JobRun(
                    job=job.name,
                    slot=slot,
                    started_at=started,
                    ended_at=clock.now(),
                    items=items,
                    outcome=outcome,
                    error=error,
                )
            )
        log.info("job %s: %s, %s item(s)", job.name, outcome, items)
        return Ran(job.name, outcome, items, error)


def run_due(jobs: Sequence[Job] = JOBS) -> list[Ran]:
    """One tick: every job whose slot is not done yet."""
    ran = []
    for job in jobs:
        try:
            done = run_one(job)
        except Exception:  # e.g. the database is unreachable for a moment: the next tick tries
            log.exception("job %s could not be run", job.name)
            continue
        if done is not None:
            ran.append(done)
    return ran


class Ticker:
    """Ticks in a background thread until stopped."""

    def __init__(self, tick_seconds: float, jobs: Sequence[Job] = JOBS) -> None:
        self.tick_seconds = tick_seconds
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="portal-jobs", daemon=True)

    def start(self) -> None:
        log.info("job runner started (%s jobs, tick %ss)", len(self.jobs), self.tick_seconds)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            run_due(self.jobs)
            self._stop.wait(self.tick_seconds)


_in_process: Ticker | None = None
_in_process_guard = threading.Lock()


def start_in_process(tick_seconds: float) -> bool:
    """Start this process's one runner (the app server on DuckDB); False if it already runs."""
    global _in_process
    with _in_process_guard:
        if _in_process is not None:
            return False
        _in_process = Ticker(tick_seconds)
        _in_process.start()
        return True


def stop_in_process() -> None:
    global _in_process
    with _in_process_guard:
        if _in_process is not None:
            _in_process.stop()
            _in_process = None
