"""What admins see of the scheduled jobs: each job's last run, next run and recent failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from services.core import access, clock
from services.core.access import Actor
from services.core.models import JobRun
from services.core.work import staff_work
from services.jobs.registry import JOBS
from services.jobs.runner import SUCCESS, slot_of


@dataclass(frozen=True)
class JobStatus:
    name: str
    description: str
    every: timedelta
    last_started_at: datetime | None
    last_outcome: str | None
    last_items: int | None
    last_error: str | None
    next_run_at: datetime  # now when the current slot is not done yet
    failures_24h: int


def jobs_overview(*, actor: Actor) -> list[JobStatus]:
    """Admins: every registered job with its last run, its next run and its recent failures."""
    with staff_work(actor, "jobs.view", access.ADMIN) as s:
        now = clock.now()
        found = []
        for job in JOBS:
            last = s.scalars(
                select(JobRun).where(JobRun.job == job.name).order_by(JobRun.started_at.desc())
            ).first()
            slot = slot_of(job, now)
            done = s.scalar(
                select(
                    exists().where(
                        JobRun.job == job.name, JobRun.slot == slot, JobRun.outcome == SUCCESS
                    )
                )
            )
            failures = s.scalar(
                select(func.count()).where(
                    JobRun.job == job.name,
                    JobRun.outcome != SUCCESS,
                    JobRun.started_at > now - timedelta(hours=24),
                )
            )
            found.append(
                JobStatus(
                    name=job.name,
                    description=job.description,
                    every=job.every,
                    last_started_at=last.started_at if last else None,
                    last_outcome=last.outcome if last else None,
                    last_items=last.items if last else None,
                    last_error=last.error if last else None,
                    next_run_at=slot + job.every if done else now,
                    failures_24h=int(failures or 0),
                )
            )
        return found
