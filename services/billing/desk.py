"""Billing staff's payments desk: payments posted (online and by hand), what the processor told
us that matched no payment page, money on an account that no statement took (a credit), and
moving a misapplied payment to the statement it was meant for. Billing fields only (minimum
necessary); every action audited against the patient."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from services.billing import ledger
from services.billing.tables import Payment, ProcessorEvent, Statement
from services.core import access, audit, clock, forms, money
from services.core.access import Actor
from services.core.errors import Conflict, NotFound
from services.core.language import t
from services.core.models import Patient
from services.core.work import staff_work

LIST_LIMIT = 500


@dataclass(frozen=True)
class Posted:
    payment_id: uuid.UUID
    paid_at: datetime
    patient_name: str
    mrn: str
    amount_cents: int
    method: str
    card_last4: str | None
    online: bool
    processor_ref: str | None
    statement_date: date | None  # None: a credit on the account


@dataclass(frozen=True)
class Unmatched:
    event_id: str
    kind: str
    reference: str | None
    received_at: datetime


@dataclass(frozen=True)
class Desk:
    posted: list[Posted]
    credits: list[Posted]  # succeeded payments applied to no statement
    unmatched: list[Unmatched]


def _posted(session: Session, *conditions: ColumnElement[bool]) -> list[Posted]:
    rows = session.execute(
        select(
            Payment.id,
            Payment.paid_at,
            Patient.first_name + " " + Patient.last_name,
            Patient.mrn,
            Payment.amount_cents,
            Payment.method,
            Payment.card_last4,
            Payment.online,
            Payment.processor_ref,
            Statement.statement_date,
        )
        .join(Patient, Patient.id == Payment.patient_id)
        .outerjoin(Statement, Statement.id == Payment.statement_id)
        .where(Payment.status == "succeeded", *conditions)
        .order_by(Payment.paid_at.desc(), Payment.id)
        .limit(LIST_LIMIT)
    )
    return [Posted(*tuple(row)) for row in rows]


def payments_desk(*, actor: Actor, days: int = 30) -> Desk:
    """The last `days` of posted payments, every credit and every unmatched notification."""
    with staff_work(actor, "billing.payments.view", access.BILLING) as session:
        since = clock.now() - timedelta(days=days)
        unmatched = [
            Unmatched(e.event_id, e.kind, e.reference, e.received_at)
            for e in session.scalars(
                select(ProcessorEvent)
                .where(ProcessorEvent.outcome == "unmatched")
                .order_by(ProcessorEvent.received_at.desc())
                .limit(LIST_LIMIT)
            )
        ]
        return Desk(
            posted=_posted(session, Payment.paid_at >= since),
            credits=_posted(session, Payment.statement_id.is_(None)),
            unmatched=unmatched,
        )


def statements_of_payment(*, actor: Actor, payment_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The statements of the payment's patient a payment could move to (label by date/owed)."""
    with staff_work(actor, "billing.payment.view", access.BILLING) as session:
        payment = _payment(session, payment_id)
        owing = dict(ledger.owed_statements(session, payment.patient_id, True))
        rows = session.execute(
            select(Statement.id, Statement.statement_date)
            .where(Statement.patient_id == payment.patient_id)
            .order_by(Statement.statement_date.desc())
        )
        return [
            (sid, f"{on:%b %d, %Y} (owes {money.dollars(owing.get(sid, 0))})")
            for sid, on in rows
            if sid != payment.statement_id
        ]


def _payment(session: Session, payment_id: uuid.UUID) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.status != "succeeded":
        raise NotFound(t("We could not find that payment."))
    return payment


def payment_reapply(
    *, actor: Actor, payment_id: uuid.UUID, statement_id: uuid.UUID | None, note: str
) -> None:
    """Move a misapplied payment to another statement of the same patient (or to a credit on
    the account): the payment is marked moved and posted again where it belongs, up to what
    that statement owes (the rest stays a credit); the statement it leaves opens again if it
    now owes. A note says why."""
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "note", note, t("Say why the payment is moved."))
    forms.raise_if(fields)
    with staff_work(actor, "billing.payment.reapply", access.BILLING) as session:
        payment = _payment(session, payment_id)
        if payment.amount_cents <= 0:
            raise Conflict(t("A refund is not moved; issue it again against the right payment."))
        if statement_id == payment.statement_id:
            raise Conflict(t("The payment is already on that statement."))
        if statement_id is not None:
            target = session.get(Statement, statement_id)
            if target is None or target.patient_id != payment.patient_id:
                raise NotFound(t("That statement is not this patient's."))
        left = payment.statement_id
        payment.status = "reapplied"
        session.flush()  # the ledger below no longer counts the moved payment
        received = ledger.Received(
            patient_id=payment.patient_id,
            cents=payment.amount_cents,
            method=payment.method,
            card_last4=payment.card_last4,
            processor_ref=payment.processor_ref,
            online=payment.online,
            at=payment.paid_at,
        )
        if statement_id is None:
            session.add(ledger.payment_row(received, None, payment.amount_cents))
        else:
            ledger.post_payment(session, received, first=statement_id, only_first=True)
        if left is not None:
            ledger.reopen_if_owed(session, left)
        audit.record(
            session,
            actor,
            "billing.payment.reapply",
            patient_id=payment.patient_id,
            detail=f"{money.dollars(payment.amount_cents)} from {left} to {statement_id}: {text}",
        )
