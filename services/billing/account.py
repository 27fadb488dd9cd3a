"""A patient's billing as they (or a proxy with the billing scope) see it: the balance and when
it is due, statements with their line items and a statement PDF, payments with receipts,
insurance on file, and the paperless preference. Integer cents throughout. A parent with
limited access to a 12-17 year old does not see statements that bill confidential care."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing import ledger
from services.billing.tables import (
    BillingPreference,
    InsuranceCoverage,
    Payment,
    Statement,
    StatementLine,
)
from services.core import access, clock, language
from services.core.access import Access, Actor
from services.core.errors import NotFound
from services.core.language import N_, t
from services.core.models import Patient
from services.core.money import dollars
from services.core.work import patient_work
from services.records.printouts import Printout, clinic

PATIENT_SIDE = N_("Billing is seen here by the patient or their proxy.")
LINES_SHOWN = 6  # the newest statements, whose lines come with the overview
METHODS = {
    "card": N_("Card"),
    "ach": N_("Bank transfer"),
    "plan": N_("Payment plan"),
    "refund": N_("Refund"),
}
STATUSES = {
    "open": N_("Open"),
    "plan": N_("On a payment plan"),
    "paid": N_("Paid"),
    "written_off": N_("Closed"),
}


@dataclass(frozen=True)
class StatementItem:
    statement_id: uuid.UUID
    statement_date: date
    due_date: date
    billed_cents: int
    paid_cents: int
    adjusted_cents: int
    remaining_cents: int
    status: str


@dataclass(frozen=True)
class Line:
    service_date: date
    description: str
    code: str | None
    charge_cents: int
    insurance_paid_cents: int
    adjustment_cents: int
    patient_cents: int


@dataclass(frozen=True)
class PaymentItem:
    payment_id: uuid.UUID
    paid_at: datetime
    amount_cents: int
    method: str
    card_last4: str | None
    statement_date: date | None
    online: bool
    processor_ref: str | None


@dataclass(frozen=True)
class Coverage:
    coverage_id: uuid.UUID
    payer: str
    member_id: str
    group_number: str | None
    effective_on: date
    sides: tuple[str, ...]  # the card's pictures on file: front, back


@dataclass(frozen=True)
class Overview:
    balance_cents: int
    due_date: date | None
    statements: list[StatementItem]
    payments: list[PaymentItem]
    coverage: list[Coverage]
    paperless: bool
    lines: dict[uuid.UUID, list[Line]]  # of the newest statements (LINES_SHOWN)


def method_words(method: str, last4: str | None) -> str:
    """How a payment was made, in words (with the card's last digits)."""
    words = t(METHODS.get(method, method))
    return t("{method} ending {last4}", method=words, last4=last4) if last4 else words


def _statements(session: Session, patient_id: uuid.UUID, found: Access) -> list[StatementItem]:
    paid_q, adjusted_q = ledger.paid(patient_id), ledger.adjusted(patient_id)
    query = (
        select(
            Statement.id,
            Statement.statement_date,
            Statement.due_date,
            Statement.amount_cents,
            paid_q.c.cents,
            adjusted_q.c.cents,
            ledger.remaining(paid_q, adjusted_q),
            Statement.status,
        )
        .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
        .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
        .where(Statement.patient_id == patient_id)
        .order_by(Statement.statement_date.desc())
    )
    if found.adolescent_limited:
        query = query.where(~ledger.confidential())
    return [
        StatementItem(sid, on, due, int(billed), int(p or 0), int(a or 0), int(left), st)
        for sid, on, due, billed, p, a, left, st in session.execute(query)
    ]


def _payments(session: Session, patient_id: uuid.UUID, found: Access) -> list[PaymentItem]:
    query = (
        select(
            Payment.id,
            Payment.paid_at,
            Payment.amount_cents,
            Payment.method,
            Payment.card_last4,
            Statement.statement_date,
            Payment.online,
            Payment.processor_ref,
        )
        .outerjoin(Statement, Statement.id == Payment.statement_id)
        .where(Payment.patient_id == patient_id, Payment.status == "succeeded")
        .order_by(Payment.paid_at.desc())
    )
    if found.adolescent_limited:
        query = query.where(Payment.statement_id.is_(None) | ~ledger.confidential())
    return [PaymentItem(*row) for row in session.execute(query)]


def billing_overview(*, actor: Actor, patient_id: uuid.UUID) -> Overview:
    with patient_work(actor, patient_id, "billing.view", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        coverage = [
            Coverage(
                c.id,
                c.payer,
                c.member_id,
                c.group_number,
                c.effective_on,
                tuple(
                    side
                    for side, doc in (("front", c.front_document_id), ("back", c.back_document_id))
                    if doc
                ),
            )
            for c in session.scalars(
                select(InsuranceCoverage)
                .where(InsuranceCoverage.patient_id == patient_id)
                .order_by(
                    InsuranceCoverage.effective_on.desc(),
                    InsuranceCoverage.added_at.desc().nulls_last(),
                )
            )
        ]
        preference = session.get(BillingPreference, patient_id)
        statements = _statements(session, patient_id, found)
        owed = [s for s in statements if s.remaining_cents > 0]
        return Overview(
            # The same ledger as ledger.balance, summed from the rows already read.
            balance_cents=sum(s.remaining_cents for s in owed),
            due_date=min((s.due_date for s in owed), default=None),
            statements=statements,
            payments=_payments(session, patient_id, found),
            coverage=coverage,
            paperless=bool(preference and preference.paperless),
            lines=_lines(session, [s.statement_id for s in statements[:LINES_SHOWN]]),
        )


def _statement(
    session: Session, patient_id: uuid.UUID, statement_id: uuid.UUID, found: Access
) -> StatementItem:
    for item in _statements(session, patient_id, found):
        if item.statement_id == statement_id:
            return item
    raise NotFound(t("We could not find that statement."))


def _lines(session: Session, statement_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Line]]:
    """The lines of these statements, by statement, in date order (one query)."""
    found: dict[uuid.UUID, list[Line]] = {sid: [] for sid in statement_ids}
    rows = session.execute(
        select(
            StatementLine.statement_id,
            StatementLine.service_date,
            StatementLine.description,
            StatementLine.code,
            StatementLine.charge_cents,
            StatementLine.insurance_paid_cents,
            StatementLine.adjustment_cents,
            StatementLine.patient_cents,
        )
        .where(StatementLine.statement_id.in_(statement_ids))
        .order_by(StatementLine.service_date)
    )
    for sid, on, what, code, charge, insurance, adjustment, owed in rows:
        found[sid].append(Line(on, what, code, charge, insurance, adjustment, owed))
    return found


def statement_lines(*, actor: Actor, patient_id: uuid.UUID, statement_id: uuid.UUID) -> list[Line]:
    with patient_work(actor, patient_id, "billing.statement.view", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        _statement(session, patient_id, statement_id, found)
        return _lines(session, [statement_id])[statement_id]


def statement_pdf(*, actor: Actor, patient_id: uuid.UUID, statement_id: uuid.UUID) -> bytes:
    with patient_work(actor, patient_id, "billing.statement.pdf", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        item = _statement(session, patient_id, statement_id, found)
        lines = _lines(session, [statement_id])[statement_id]
        patient = session.get(Patient, patient_id)
        assert patient is not None
    pdf = Printout(
        t("Statement"), f"{patient.first_name} {patient.last_name}", patient.birth_date, clinic()
    )
    pdf.para(
        t(
            "Account {mrn} · statement of {day}",
            mrn=patient.mrn,
            day=language.day(item.statement_date),
        )
    )
    pdf.heading(t("Services"))
    pdf.rows(
        [
            t(
                "{day} {service}: charged {charged}, insurance paid {insurance}, adjustments "
                "{adjusted}, you owe {owed}",
                day=language.day(line.service_date),
                service=f"{line.description} ({line.code})" if line.code else line.description,
                charged=dollars(line.charge_cents),
                insurance=dollars(line.insurance_paid_cents),
                adjusted=dollars(line.adjustment_cents),
                owed=dollars(line.patient_cents),
            )
            for line in lines
        ],
        t("No services on this statement."),
    )
    pdf.heading(t("Summary"))
    pdf.rows(
        [
            t("Billed to you: {amount}", amount=dollars(item.billed_cents)),
            t("Paid: {amount}", amount=dollars(item.paid_cents)),
            t("Adjustments: {amount}", amount=dollars(item.adjusted_cents)),
            t(
                "Amount due: {amount} by {day}",
                amount=dollars(item.remaining_cents),
                day=language.day(item.due_date),
            ),
        ],
        "",
    )
    return bytes(pdf.output())


def receipt_pdf(*, actor: Actor, patient_id: uuid.UUID, payment_id: uuid.UUID) -> bytes:
    """A receipt for one payment: the whole of what the processor took, however it was
    applied (a balance paid at once is applied to several statements)."""
    with patient_work(actor, patient_id, "billing.receipt.pdf", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        payments = _payments(session, patient_id, found)
        paid = next((p for p in payments if p.payment_id == payment_id), None)
        if paid is None:
            raise NotFound(t("We could not find that payment."))
        parts = [
            p for p in payments if paid.processor_ref and p.processor_ref == paid.processor_ref
        ]
        parts = parts or [paid]
        patient = session.get(Patient, patient_id)
        assert patient is not None
    pdf = Printout(
        t("Payment receipt"),
        f"{patient.first_name} {patient.last_name}",
        patient.birth_date,
        clinic(),
    )
    pdf.para(t("Account {mrn}", mrn=patient.mrn))
    pdf.heading(
        t("Received {amount}, thank you", amount=dollars(sum(p.amount_cents for p in parts)))
    )
    pdf.rows(
        [
            t("Date: {moment}", moment=language.moment(clock.local(paid.paid_at))),
            t("Method: {method}", method=method_words(paid.method, paid.card_last4)),
            *(
                t(
                    "{amount} applied to the statement of {day}",
                    amount=dollars(p.amount_cents),
                    day=language.day(p.statement_date),
                )
                if p.statement_date
                else t("{amount} kept as a credit on your account", amount=dollars(p.amount_cents))
                for p in parts
            ),
            t("Receipt number: {number}", number=paid.payment_id),
            *(
                [t("Payment reference: {reference}", reference=paid.processor_ref)]
                if paid.processor_ref
                else []
            ),
        ],
        "",
    )
    return bytes(pdf.output())


def paperless_set(*, actor: Actor, patient_id: uuid.UUID, paperless: bool) -> None:
    """Statements in the portal only (with a notice), or also on paper by mail."""
    with patient_work(actor, patient_id, "billing.paperless.set", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        row = session.get(BillingPreference, patient_id)
        if row is None:
            session.add(
                BillingPreference(
                    patient_id=patient_id,
                    paperless=paperless,
                    updated_at=clock.now(),
                    updated_by=actor.user_id,
                )
            )
        else:
            row.paperless, row.updated_at, row.updated_by = paperless, clock.now(), actor.user_id
