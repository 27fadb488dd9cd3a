"""What is owed, computed in SQL from the ledger, in integer cents: a statement's remaining
amount is what the patient was billed, less the payments that succeeded against it and its
adjustments; a closed statement (paid, written off) owes nothing. A statement with a line
marked confidential (adolescent care) is left out of everything a parent with limited access
sees, its amount included."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

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


def owed_statements(
    session: Session,
    patient_id: uuid.UUID,
    confidential_too: bool,
    statuses: tuple[str, ...] = OPEN,
) -> list[tuple[uuid.UUID, int]]:
    """The patient's statements that owe something, oldest due first, with what each owes
    (of these statuses: open ones, or those on a plan too)."""
    paid_q, adjusted_q = paid(patient_id), adjusted(patient_id)
    owed = remaining(paid_q, adjusted_q)
    query = (
        select(Statement.id, owed)
        .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
        .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
        .where(Statement.patient_id == patient_id, Statement.status.in_(statuses), owed > 0)
        .order_by(Statement.due_date, Statement.statement_date, Statement.id)
    )
    if not confidential_too:
        query = query.where(~confidential())
    return [(sid, int(cents)) for sid, cents in session.execute(query)]


@dataclass(frozen=True)
class Received:
    """Money received for a patient, as the processor (or the billing office) reports it."""

    patient_id: uuid.UUID
    cents: int
    method: str  # card, ach, plan
    card_last4: str | None
    processor_ref: str | None
    online: bool
    at: datetime


def post_payment(
    session: Session,
    received: Received,
    first: uuid.UUID | None = None,
    confidential_too: bool = True,
    only_first: bool = False,
    among: set[uuid.UUID] | None = None,
) -> list[Payment]:
    """Apply money to what is owed: the `first` statement, then (unless `only_first`) the oldest
    due, of the statements `among` when given (a plan's); a statement paid in full closes. What
    is left over stays on the account as a credit, applied to no statement, for billing staff."""
    owing = owed_statements(session, received.patient_id, confidential_too)
    if among is not None:
        owing = [item for item in owing if item[0] in among]
    owing.sort(key=lambda item: item[0] != first)  # stable: the chosen one first, then by due
    if only_first:
        owing = [item for item in owing if item[0] == first]
    left, rows = received.cents, []
    for statement_id, owes in owing:
        if left <= 0:
            break
        part = min(owes, left)
        rows.append(payment_row(received, statement_id, part))
        if part == owes:
            statement = session.get(Statement, statement_id)
            assert statement is not None
            statement.status = "paid"
        left -= part
    if left > 0:
        rows.append(payment_row(received, None, left))
    session.add_all(rows)
    return rows


def payment_row(received: Received, statement_id: uuid.UUID | None, cents: int) -> Payment:
    return Payment(
        id=uuid.uuid4(),
        patient_id=received.patient_id,
        statement_id=statement_id,
        amount_cents=cents,
        method=received.method,
        card_last4=received.card_last4,
        processor_ref=received.processor_ref,
        paid_at=received.at,
        status="succeeded",
        online=received.online,
    )


def unpaid(session: Session, statement: Statement) -> int:
    """What a statement's bill, payments and adjustments leave owed, whatever its status."""
    paid_q, adjusted_q = paid(statement.patient_id), adjusted(statement.patient_id)
    return int(
        session.scalar(
            select(
                Statement.amount_cents
                - func.coalesce(paid_q.c.cents, 0)
                - func.coalesce(adjusted_q.c.cents, 0)
            )
            .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
            .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
            .where(Statement.id == statement.id)
        )
        or 0
    )


def reopen_if_owed(session: Session, statement_id: uuid.UUID) -> None:
    """A paid statement that owes again (a payment moved away or refunded) opens again."""
    statement = session.get(Statement, statement_id)
    if statement is not None and statement.status == "paid" and unpaid(session, statement) > 0:
        statement.status = "open"


def close(session: Session, statement_id: uuid.UUID) -> None:
    """A statement that owes nothing more: paid when anything was paid on it, else closed."""
    statement = session.get(Statement, statement_id)
    assert statement is not None
    any_paid = session.scalar(
        select(func.count()).where(
            Payment.statement_id == statement_id, Payment.status == "succeeded"
        )
    )
    statement.status = "paid" if any_paid else "written_off"
