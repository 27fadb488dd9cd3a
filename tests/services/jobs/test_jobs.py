"""The job runner on both databases, on a frozen clock: each job idempotent, the hold-end notice
sent once by the runner alone, failures recorded without stopping the others, what admins see;
and on PostgreSQL two `python -m worker` workers that never run a job twice."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.core import clock, db
from services.core.errors import PermissionDenied
from services.core.models import JobRun, NotificationOutbox
from services.jobs import overview, registry, runner
from services.records.tables import LabResult
from tests.conftest import NOW
from tests.services.records.test_results import _result_notices, held_result
from tests.support import world

ROOT = Path(__file__).resolve().parents[3]


def _outbox() -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(NotificationOutbox)) or 0)


def _runs(job: str | None = None) -> list[JobRun]:
    with db.read_only() as s:
        query = select(JobRun).order_by(JobRun.started_at)
        return list(s.scalars(query.where(JobRun.job == job) if job else query))


def test_each_job_run_twice_at_one_moment_changes_nothing_the_second_time(
    seeded_url: str,
) -> None:
    held_result(days=1)
    with clock.frozen(NOW + timedelta(days=2)):
        for job in registry.JOBS:
            job.run()
            before = (_outbox(), _result_notices())
            assert job.run() == 0, job.name
            assert (_outbox(), _result_notices()) == before, job.name


def test_the_hold_end_notice_is_sent_once_by_the_runner_without_a_page(seeded_url: str) -> None:
    rid = held_result(days=1)
    runner.run_due()
    assert _result_notices() == 0  # the hold has not ended
    later = NOW + timedelta(days=1, minutes=1)
    with clock.frozen(later):
        runner.run_due()
        sent = _result_notices()  # this hold's notice, and any seeded hold ending that day
        assert sent >= 1
        runner.run_due()  # the same slot again: nothing runs
    with clock.frozen(later + timedelta(minutes=5)):
        runner.run_due()  # a later slot: the job runs and finds nothing new
    assert _result_notices() == sent
    with db.read_only() as s:
        released = s.scalar(select(LabResult.released_at).where(LabResult.id == rid))
    assert released == NOW + timedelta(days=1)  # recorded as released at the hold's end
    slots = [r.slot for r in _runs("release_ended_holds")]
    assert len(slots) == len(set(slots)) == 3


def test_a_failing_job_is_recorded_and_the_others_still_run(seeded_url: str) -> None:
    calls: list[str] = []

    def broken() -> int:
        calls.append("broken")
        raise RuntimeError("the mail server is down")

    jobs = (
        registry.Job("broken", timedelta(minutes=1), broken, "always fails"),
        registry.Job("fine", timedelta(minutes=1), lambda: calls.append("fine") or 3, "works"),
    )
    ran = runner.run_due(jobs)
    assert [(r.job, r.outcome, r.items) for r in ran] == [
        ("broken", "failure", 0),
        ("fine", "success", 3),
    ]
    [failed] = _runs("broken")
    assert failed.outcome == "failure" and failed.error == "RuntimeError: the mail server is down"
    runner.run_due(jobs)  # the next tick tries the failed slot again, not the done one
    assert calls == ["broken", "fine", "broken"]


def test_admins_see_each_jobs_last_and_next_run_and_failures(seeded_url: str) -> None:
    runner.run_due()
    admin = world.actor_of("admin.demo")
    seen = {j.name: j for j in overview.jobs_overview(actor=admin)}
    assert set(seen) == {j.name for j in registry.JOBS}
    hold = seen["release_ended_holds"]
    assert hold.last_outcome == "success" and hold.failures_24h == 0
    assert hold.next_run_at == runner.slot_of(registry.JOBS[0], NOW) + timedelta(minutes=1)
    with pytest.raises(PermissionDenied):
        overview.jobs_overview(actor=world.actor_of("clinician.demo"))


def _worker(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PORTAL_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "--tick", "0.05", "--for", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_workers_on_postgresql_never_run_a_job_twice(seeded_url: str) -> None:
    if seeded_url.startswith("duckdb"):
        pytest.skip("DuckDB allows one writing process: the app server runs the jobs")
    workers = [_worker(seeded_url), _worker(seeded_url)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    runs = _runs()
    done = [(r.job, r.slot) for r in runs if r.outcome == "success"]
    assert len(done) == len(set(done))  # once per job and slot, whichever worker ran it
    assert {job for job, _ in done} == {j.name for j in registry.JOBS}


def test_the_worker_refuses_duckdb(seeded_url: str) -> None:
    if not seeded_url.startswith("duckdb"):
        pytest.skip("the refusal is DuckDB's")
    worker = _worker(seeded_url)
    output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 2 and "the app server runs the jobs" in output
