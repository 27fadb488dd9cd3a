"""Billing staff's receivables: what patients owe by age of the statement (0-30, 31-60, 61-90,
91-120, over 120 days on the clinic's calendar) with totals and the accounts behind each
bucket, and the accounts past their due date. Computed in SQL from the ledger in integer
cents; identifying and billing fields only, never clinical content (minimum necessary)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from services.billing import ledger
from services.billing.tables import Statement
from services.core import access, clock
from services.core.access import Actor
from services.core.errors import ValidationError
from services.core.language import N_, t
from services.core.models import Patient
from services.core.work import staff_work

# (first day, last day) of each bucket's age; None: no upper end.
BUCKETS = ((0, 30), (31, 60), (61, 90), (91, 120), (121, None))
LABELS = (
    N_("0–30 days"),
    N_("31–60 days"),
    N_("61–90 days"),
    N_("91–120 days"),
    N_("Over 120 days"),
)
LIST_LIMIT = 500


@dataclass(frozen=True)
class Bucket:
    label: str
    statements: int
    patients: int
    cents: int


@dataclass(frozen=True)
class Aging:
    as_of: date
    buckets: list[Bucket]
    total_cents: int


@dataclass(frozen=True)
class Receivable:
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    statement_id: uuid.UUID
    statement_date: date
    due_date: date
    remaining_cents: int
    days: int


def _bucket(today: date) -> ColumnElement[int]:
    """The bucket number of a statement's age on `today`."""
    return case(
        *(
            (Statement.statement_date >= today - timedelta(days=last), number)
            for number, (_, last) in enumerate(BUCKETS)
            if last is not None
        ),
        else_=len(BUCKETS) - 1,
    )


def _owed(today: date) -> Select[uuid.UUID, uuid.UUID, date, date, int, int]:
    paid_q, adjusted_q = ledger.paid(), ledger.adjusted()
    owed = ledger.remaining(paid_q, adjusted_q)
    return (
        select(
            Statement.id.label("statement_id"),
            Statement.patient_id.label("patient_id"),
            Statement.statement_date.label("statement_date"),
            Statement.due_date.label("due_date"),
            owed.label("owed"),
            _bucket(today).label("bucket"),
        )
        .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
        .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
        .where(Statement.status.in_(ledger.OPEN), owed > 0)
    )


def aging(*, actor: Actor) -> Aging:
    """Receivables by age, with each bucket's statements, patients and cents."""
    with staff_work(actor, "billing.aging.view", access.BILLING) as session:
        today = clock.today()
        owed = _owed(today).subquery()
        rows = {
            int(b): (int(n), int(p), int(c))
            for b, n, p, c in session.execute(
                select(
                    owed.c.bucket,
                    func.count(),
                    func.count(func.distinct(owed.c.patient_id)),
                    func.sum(owed.c.owed),
                ).group_by(owed.c.bucket)
            )
        }
        buckets = [Bucket(label, *rows.get(n, (0, 0, 0))) for n, label in enumerate(LABELS)]
        return Aging(today, buckets, sum(b.cents for b in buckets))


def _accounts(
    session: Session, today: date, keep: Callable[[Subquery], ColumnElement[bool]]
) -> list[Receivable]:
    """The owed statements `keep` chooses, largest first, with whose they are."""
    sub = _owed(today).subquery()
    query = (
        select(
            sub.c.patient_id,
            Patient.first_name + " " + Patient.last_name,
            Patient.mrn,
            sub.c.statement_id,
            sub.c.statement_date,
            sub.c.due_date,
            sub.c.owed,
        )
        .join(Patient, Patient.id == sub.c.patient_id)
        .where(keep(sub))
        .order_by(sub.c.owed.desc(), Patient.mrn)
        .limit(LIST_LIMIT)
    )
    return [
        Receivable(pid, name, mrn, sid, on, due, int(left), (today - on).days)
        for pid, name, mrn, sid, on, due, left in session.execute(query)
    ]


def aging_accounts(*, actor: Actor, bucket: int) -> list[Receivable]:
    """The statements behind one bucket, largest first."""
    if not 0 <= bucket < len(BUCKETS):
        raise ValidationError({"bucket": t("Choose an age bucket.")})
    with staff_work(actor, "billing.aging.accounts", access.BILLING) as session:
        return _accounts(session, clock.today(), lambda sub: sub.c.bucket == bucket)


def past_due(*, actor: Actor) -> list[Receivable]:
    """Statements owed past their due date, largest first."""
    with staff_work(actor, "billing.past_due.view", access.BILLING) as session:
        today = clock.today()
        return _accounts(session, today, lambda sub: sub.c.due_date < today)
