"""Refunds by billing staff: never more than a payment has left after its other refunds; above
the approval amount (a setting) a second billing user, not the one who asked, approves before
the money goes back. A card payment is refunded through the processor (the refund's id is the
idempotency key, so a repeat never refunds twice); money taken by hand goes back by cheque.
Issued, a refund is posted as a negative payment on the same statement, which opens again if
it now owes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.billing import ledger
from services.billing.processor import processor
from services.billing.tables import Payment, Refund
from services.core import access, audit, clock, db, forms, money
from services.core.access import Actor
from services.core.config import cents_setting
from services.core.errors import Conflict, NotFound, PermissionDenied
from services.core.language import t
from services.core.models import Patient, User
from services.core.work import staff_work

AWAITING, ISSUED, REJECTED = "awaiting", "issued", "rejected"
LIST_LIMIT = 200


def approval_over() -> int:
    """Refunds above this many cents need a second billing user's approval."""
    return cents_setting("refund_approval_over", "200.00")


@dataclass(frozen=True)
class RefundItem:
    refund_id: uuid.UUID
    patient_name: str
    mrn: str
    amount_cents: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    mine: bool  # asked for by the viewer (who may not approve it)


def refundable(session: Session, payment: Payment) -> int:
    """What the payment has left to give back: its amount less refunds issued or awaiting."""
    taken = session.scalar(
        select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
            Refund.payment_id == payment.id, Refund.status.in_((AWAITING, ISSUED))
        )
    )
    return payment.amount_cents - int(taken or 0)


def _payment(session: Session, payment_id: uuid.UUID) -> Payment:
    query = select(Payment).where(Payment.id == payment_id)
    if not db.is_duckdb(session.get_bind()):
        query = query.with_for_update()  # two refunds of one payment at once: one at a time
    payment = session.scalar(query)
    if payment is None or payment.status != "succeeded" or payment.amount_cents <= 0:
        raise NotFound(t("We could not find that payment."))
    return payment


def refund_request(*, actor: Actor, payment_id: uuid.UUID, amount: str, reason: str) -> str:
    """Ask to give back part or all of a payment; issued at once up to the approval amount.
    Returns the refund's status (issued, or awaiting approval)."""
    fields: dict[str, str] = {}
    cents = money.cents_of(amount)
    if not cents or cents < 0:
        fields["amount"] = t("Enter an amount in dollars and cents, more than zero.")
    text = forms.checked_note(fields, "reason", reason, t("Say why the money goes back."))
    forms.raise_if(fields)
    assert cents is not None
    with staff_work(actor, "billing.refund.request", access.BILLING) as session:
        payment = _payment(session, payment_id)
        left = refundable(session, payment)
        if cents > left:
            raise Conflict(
                t(
                    "This payment has {amount} left to refund; refund at most that.",
                    amount=money.dollars(left),
                )
            )
        row = Refund(
            id=uuid.uuid4(),
            patient_id=payment.patient_id,
            payment_id=payment.id,
            amount_cents=cents,
            reason=text,
            requested_by=actor.user_id,
            requested_at=clock.now(),
            status=AWAITING,
        )
        session.add(row)
        audit.record(
            session,
            actor,
            "billing.refund.request",
            patient_id=payment.patient_id,
            detail=f"{money.dollars(cents)} of payment {payment.id}",
        )
    if cents > approval_over():
        return AWAITING
    _issue(actor, row.id)
    return ISSUED


def refund_approve(*, actor: Actor, refund_id: uuid.UUID) -> None:
    """A second billing user approves a refund above the approval amount, and it is issued (a
    smaller one the processor could not take at once is issued again by anyone)."""
    with staff_work(actor, "billing.refund.approve", access.BILLING) as session:
        row = session.get(Refund, refund_id)
        if row is None or row.status != AWAITING:
            raise Conflict(t("This refund is no longer waiting for approval."))
        if row.requested_by == actor.user_id and row.amount_cents > approval_over():
            raise PermissionDenied(t("Another billing user must approve a refund you asked for."))
    _issue(actor, refund_id)


def refund_reject(*, actor: Actor, refund_id: uuid.UUID, note: str) -> None:
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "note", note, t("Say why the refund is not made."))
    forms.raise_if(fields)
    with staff_work(actor, "billing.refund.reject", access.BILLING) as session:
        done = session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status == AWAITING)
            .values(
                status=REJECTED,
                decided_by=actor.user_id,
                decided_at=clock.now(),
                decision_note=text,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("This refund is no longer waiting for approval."))


def _issue(actor: Actor, refund_id: uuid.UUID) -> None:
    """Give the money back (through the processor for a card payment) and post it, once."""
    with db.read_only() as session:
        row = session.get(Refund, refund_id)
        assert row is not None
        payment = session.get(Payment, row.payment_id)
        assert payment is not None
    ref = None
    if payment.online and payment.processor_ref:
        ref = (
            processor()
            .refund(
                key=f"refund-{refund_id}",
                payment_ref=payment.processor_ref,
                amount_cents=row.amount_cents,
            )
            .ref
        )
    with db.transaction() as session:
        done = session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status == AWAITING)
            .values(
                status=ISSUED, decided_by=actor.user_id, decided_at=clock.now(), processor_ref=ref
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return  # issued by another click at the same moment (the processor refunded once)
        received = ledger.Received(
            patient_id=payment.patient_id,
            cents=-row.amount_cents,
            method="refund",
            card_last4=payment.card_last4,
            processor_ref=ref,
            online=payment.online,
            at=clock.now(),
        )
        session.add(ledger.payment_row(received, payment.statement_id, -row.amount_cents))
        session.flush()
        if payment.statement_id is not None:
            ledger.reopen_if_owed(session, payment.statement_id)
        audit.record(
            session,
            actor,
            "billing.refund.issue",
            patient_id=payment.patient_id,
            detail=f"{money.dollars(row.amount_cents)} {'by card ' + ref if ref else 'by cheque'}",
        )


def refunds_waiting(*, actor: Actor) -> list[RefundItem]:
    """Refunds waiting for a second billing user's approval, oldest first."""
    with staff_work(actor, "billing.refunds.view", access.BILLING) as session:
        rows = session.execute(
            select(
                Refund.id,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                Refund.amount_cents,
                Refund.reason,
                User.display_name,
                Refund.requested_at,
                Refund.status,
                Refund.requested_by,
            )
            .join(Patient, Patient.id == Refund.patient_id)
            .join(User, User.id == Refund.requested_by)
            .where(Refund.status == AWAITING)
            .order_by(Refund.requested_at)
            .limit(LIST_LIMIT)
        )
        return [
            RefundItem(rid, name, mrn, cents, why, who, at, status, by == actor.user_id)
            for rid, name, mrn, cents, why, who, at, status, by in rows
        ]
