"""The month's statements: once a month billing staff send them. Every patient who owes
something is told by the channels they chose that a statement is ready (no amount and nothing
clinical in an email or a text); those who did not choose paperless also get it on paper, from
the mailing list (name, address, MRN and the amount due) that goes to the print vendor."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, select

from services.billing import ledger
from services.billing.tables import BillingPreference, Statement, StatementRun
from services.core import access, audit, clock, language, money, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import staff_work

SUBJECT = N_("{clinic}: your statement is ready")
BODY = N_(
    "A new statement is ready in the patient portal. Sign in to see it and to pay online, set "
    "up a payment plan or ask for financial assistance."
)


@dataclass(frozen=True)
class Run:
    month: date
    run_at: datetime
    run_by: str
    patients: int
    notices: int
    paper: int


def _owing() -> Select[uuid.UUID, Any]:
    """Each patient who owes something now, with how much (in SQL, from the ledger)."""
    paid_q, adjusted_q = ledger.paid(), ledger.adjusted()
    owed = ledger.remaining(paid_q, adjusted_q)
    return (
        select(Statement.patient_id, func.sum(case((owed > 0, owed), else_=0)).label("owed"))
        .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
        .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
        .where(Statement.status.in_(ledger.OPEN))
        .group_by(Statement.patient_id)
        .having(func.sum(case((owed > 0, owed), else_=0)) > 0)
    )


def _on_paper() -> Select[Any]:
    owing = _owing().subquery()
    return (
        select(owing.c.patient_id, owing.c.owed)
        .outerjoin(BillingPreference, BillingPreference.patient_id == owing.c.patient_id)
        .where(func.coalesce(BillingPreference.paperless, False).is_(False))
    )


def statement_run(*, actor: Actor) -> Run:
    """Send this month's statements (once a month)."""
    month = clock.today().replace(day=1)
    with staff_work(actor, "billing.statements.run", access.BILLING) as session:
        done = session.scalar(select(StatementRun).where(StatementRun.month == month))
        if done is not None:
            raise Conflict(
                t(
                    "The statements of {month} were sent on {moment}.",
                    month=language.month(month),
                    moment=language.moment(clock.local(done.run_at)),
                )
            )
        owing = _owing().subquery()
        patients = int(session.scalar(select(func.count()).select_from(owing)) or 0)
        paper = int(session.scalar(select(func.count()).select_from(_on_paper().subquery())) or 0)
        notices = notify.to_patients(
            session,
            select(owing.c.patient_id),
            "bills",
            SUBJECT,
            BODY,
            clinic=settings().clinic_name,
        )
        row = StatementRun(
            id=uuid.uuid4(),
            month=month,
            run_by=actor.user_id,
            run_at=clock.now(),
            patients=patients,
            notices=notices,
            paper=paper,
        )
        session.add(row)
        audit.record(
            session,
            actor,
            "billing.statements.sent",
            detail=f"{month:%Y-%m}: {patients} patients, {notices} notices, {paper} on paper",
        )
        return Run(month, row.run_at, actor.display_name, patients, notices, paper)


def statement_runs(*, actor: Actor) -> list[Run]:
    """The months sent so far, newest first."""
    with staff_work(actor, "billing.statements.view", access.BILLING) as session:
        rows = session.execute(
            select(StatementRun, User.display_name)
            .join(User, User.id == StatementRun.run_by)
            .order_by(StatementRun.month.desc())
            .limit(24)
        ).all()
        return [Run(r.month, r.run_at, who, r.patients, r.notices, r.paper) for r, who in rows]


def mailing_list(*, actor: Actor) -> bytes:
    """The paper statements to mail now, as CSV for the print vendor (billing fields only)."""
    with staff_work(actor, "billing.statements.mailing", access.BILLING) as session:
        paper = _on_paper().subquery()
        rows = session.execute(
            select(
                Patient.mrn, Patient.first_name, Patient.last_name, Patient.address, paper.c.owed
            )
            .join(paper, paper.c.patient_id == Patient.id)
            .order_by(Patient.last_name, Patient.first_name, Patient.mrn)
        ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["mrn", "first_name", "last_name", "address", "amount_due"])
    for mrn, first, last, address, owed in rows:
        writer.writerow([mrn, first, last, address or "", money.amount(int(owed))])
    return out.getvalue().encode()
