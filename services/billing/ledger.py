"""What is owed, computed in SQL from the ledger, in integer cents: a statement's remaining
amount is what the patient was billed, less the payments that succeeded against it and its
adjustments; a closed statement (paid, written off) owes nothing. A statement with a line
marked confidential (adolescent care) is left out of everything a parent with limited access
sees, its amount included."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from services.billing.tables import Adjustment, Payment, Statement, StatementLine

OPEN = ("open", "plan")


def paid(patient_id: uuid.UUID | None = None) -> Subquery:
    """Cents paid per statement (succeeded payments), of one patient when given."""
    query = select(Payment.statement_id, func.sum(Payment.amount_cents).label("cents")).where(
        Payment.status == "succeeded", Payment.statement_id.is_not(None)
    )
    if patient_id is not None:
        query = query.where(Payment.patient_id == patient_id)
    return query.group_by(Payment.statement_id).subquery("paid")


def adjusted(patient_id: uuid.UUID | None = None) -> Subquery:
    """Cents adjusted per statement, of one patient when given."""
    query = select(Adjustment.statement_id, func.sum(Adjustment.amount_cents).label("cents"))
    if patient_id is not None:
        query = query.where(Adjustment.patient_id == patient_id)
    return query.group_by(Adjustment.statement_id).subquery("adjusted")


def remaining(paid_q: Subquery, adjusted_q: Subquery) -> ColumnElement[int]:
    owed = (
        Statement.amount_cents
        - func.coalesce(paid_q.c.cents, 0)
        - func.coalesce(adjusted_q.c.cents, 0)
    )
    return case((Statement.status.in_(OPEN), owed), else_=0)


def confidential() -> ColumnElement[bool]:
    """A statement that bills confidential adolescent care."""
    return exists().where(
        StatementLine.statement_id == Statement.id, StatementLine.sensitive.is_(True)
    )


def balance(session: Session, patient_id: uuid.UUID, limited: bool) -> tuple[int, date | None]:
    """What the patient owes now, and the earliest due date among what is owed."""
    paid_q, adjusted_q = paid(patient_id), adjusted(patient_id)
    owed = remaining(paid_q, adjusted_q)
    query = (
        select(
            func.coalesce(func.sum(case((owed > 0, owed), else_=0)), 0),
            func.min(case((owed > 0, Statement.due_date))),
        )
        .select_from(Statement)
        .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
        .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
        .where(Statement.patient_id == patient_id, Statement.status.in_(OPEN))
    )
    if limited:
        query = query.where(~confidential())
    cents, due = session.execute(query).one()
    return int(cents or 0), due
