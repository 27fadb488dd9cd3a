"""The scheduled jobs: each a name, how often it runs, and an idempotent function that returns
how many items it handled (a second run at the same moment changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from services.analytics import dashboard, rollups
from services.billing import checkout, plans
from services.care import reminders, schedule, waitlist
from services.core import audit_checks, backups, notify
from services.proxy import age_rules
from services.records import results


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], int]
    description: str


def _deliver_notifications() -> int:
    return notify.deliver().sent


JOBS: tuple[Job, ...] = (
    Job(
        "release_ended_holds",
        timedelta(minutes=1),
        results.release_ended_holds,
        "Held results whose hold has ended: recorded as released and the patient told",
    ),
    Job(
        "deliver_notifications",
        timedelta(minutes=1),
        _deliver_notifications,
        "Email and text messages waiting in the outbox (failures retried up to 5 times)",
    ),
    Job(
        "payments_open",
        timedelta(minutes=5),
        checkout.ask_about_open,
        "Payment pages left open for 10 minutes: the processor is asked how they ended "
        "(in case its notification was lost); paid ones are posted once",
    ),
    Job(
        "plan_instalments",
        timedelta(hours=1),
        plans.instalments_due,
        "Payment-plan instalments due: the saved card is charged (once per attempt); a declined "
        "one, or one paid by hand and past its grace days, is marked missed and the patient told",
    ),
    Job(
        "schedule_slots",
        timedelta(hours=6),
        schedule.generate_slots,
        "Slots from the providers' weekly templates for the coming six weeks (each made once)",
    ),
    Job(
        "waitlist_offers",
        timedelta(minutes=1),
        waitlist.offer_open_slots,
        "Slots freed before waiting patients' visits: offered to the first waiting, held until "
        "the offer expires, then to the next",
    ),
    Job(
        "visit_reminders",
        timedelta(minutes=15),
        reminders.send_reminders,
        "Visit reminders by the patient's channels, once per rule (e.g. 3 days and 1 day before)",
    ),
    Job(
        "proxy_notices",
        timedelta(hours=1),
        age_rules.send_proxy_notices,
        "Proxies and patients told 30 days before and on the day a parent's access narrows "
        "(12) or ends (18), or a proxy's access reaches its end date",
    ),
    Job(
        "usage_rollups",
        timedelta(minutes=5),
        rollups.roll_up,
        "Portal-use rollups for the managers' dashboard: the clinic days with newly recorded "
        "usage events rebuilt from those days' events",
    ),
    Job(
        "audit_full_verification",
        timedelta(hours=1),
        audit_checks.full,
        "The whole audit chain walked and checked once a day (the admins' home checks only "
        "what was appended since)",
    ),
    Job(
        "database_backup",
        timedelta(hours=1),
        backups.scheduled,
        "A consistent copy of the whole database with its manifest (row counts, audit head, "
        "digest), once a day; the newest seven kept (backup_dir, backup_keep)",
    ),
    Job(
        "analytics_masks",
        timedelta(hours=1),
        dashboard.prepare,
        "The managers' dashboard made ready: small-cell protection for the periods on offer "
        "worked out ahead of the first view",
    ),
)
