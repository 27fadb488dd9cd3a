"""The billing tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, StoredFile, id_column, patient_fk


class InsuranceCoverage(Base):
    __tablename__ = "insurance_coverages"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    payer: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    effective_on: Mapped[date] = mapped_column(Date)
    # The card's pictures, kept as the patient's documents (schema v13; no foreign keys, which
    # DuckDB cannot add to an existing table).
    front_document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    back_document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    added_at: Mapped[datetime | None] = mapped_column(DateTime)


class Statement(Base):
    __tablename__ = "statements"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    statement_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # patient responsibility
    status: Mapped[str] = mapped_column(String(16))  # open, paid, plan, written_off


class StatementLine(Base):
    __tablename__ = "statement_lines"
    id: Mapped[uuid.UUID] = id_column()
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("statements.id"), index=True)
    service_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    charge_cents: Mapped[int] = mapped_column(BigInteger)
    insurance_paid_cents: Mapped[int] = mapped_column(BigInteger)
    adjustment_cents: Mapped[int] = mapped_column(BigInteger)
    patient_cents: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str | None] = mapped_column(String(16))  # CPT/HCPCS (schema v13)
    # Confidential adolescent information: hidden from a parent of a 12-17 year old (schema v11).
    sensitive: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", nullable=True
    )


class Payment(Base):
    """A payment; only the processor's reference and the card's last four digits are kept."""

    __tablename__ = "payments"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    statement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("statements.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))  # card, ach, plan
    card_last4: Mapped[str | None] = mapped_column(String(4))
    processor_ref: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # succeeded, refunded, failed
    online: Mapped[bool] = mapped_column(Boolean)


class PaymentPlan(Base):
    """A balance paid over 3 to 12 months (its instalments and statements below)."""

    __tablename__ = "payment_plans"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    total_cents: Mapped[int] = mapped_column(BigInteger)
    monthly_cents: Mapped[int] = mapped_column(BigInteger)
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, completed, defaulted, cancelled
    months: Mapped[int | None] = mapped_column(Integer)  # schema v13, as are the columns below
    # The saved card that pays each instalment on its day. No foreign key: DuckDB cannot change
    # a foreign-key column of a row that other rows (the instalments) refer to.
    payment_method_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a user (DuckDB adds no FK)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)


class PlanStatement(Base):
    """The statements a plan pays (schema v13)."""

    __tablename__ = "plan_statements"
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payment_plans.id"), primary_key=True
    )
    statement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("statements.id"), primary_key=True
    )


class PlanInstalment(Base):
    """One month's amount of a plan (schema v13); the last absorbs the rounding."""

    __tablename__ = "plan_instalments"
    id: Mapped[uuid.UUID] = id_column()
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payment_plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # due, paid, missed
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # charges of the saved card
    payment_ref: Mapped[str | None] = mapped_column(String(255), unique=True)


class PaymentMethod(Base):
    """A card the processor saved for a plan (schema v13): only its token and last four."""

    __tablename__ = "payment_methods"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    customer_ref: Mapped[str] = mapped_column(String(255))
    processor_ref: Mapped[str] = mapped_column(String(255), unique=True)
    brand: Mapped[str | None] = mapped_column(String(24))
    last4: Mapped[str | None] = mapped_column(String(4))
    saved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(DateTime)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Adjustment(Base):
    """A change to what the patient owes on a statement, with its reason code (schema v13):
    positive amounts lower the balance (charity care, a discount), negative ones raise it."""

    __tablename__ = "adjustments"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("statements.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    posted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    posted_at: Mapped[datetime] = mapped_column(DateTime)


class BillingPreference(Base):
    """The patient's statement preference (schema v13): paperless, or paper by mail too."""

    __tablename__ = "billing_preferences"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    paperless: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class Checkout(Base):
    """A payment begun on the processor's hosted page (schema v13). Our idempotency key and the
    processor's references are each unique: a double click, a retry, a reload or a repeated
    notification finds the same row, and only its move from open to paid posts money."""

    __tablename__ = "checkouts"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    started_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(16))  # payment, or card (saved for a plan)
    statement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # paid first, when chosen
    plan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # paying a plan's instalments
    # Whether the money may go to a statement billing confidential care (not a limited parent's).
    confidential: Mapped[bool] = mapped_column(Boolean)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    processor_ref: Mapped[str] = mapped_column(String(255), unique=True)  # the hosted session
    url: Mapped[str] = mapped_column(Text)  # the hosted payment page
    status: Mapped[str] = mapped_column(String(16))  # open, paid, saved, expired, cancelled
    payment_ref: Mapped[str | None] = mapped_column(String(255), unique=True)  # once paid
    card_last4: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProcessorEvent(Base):
    """A notification from the processor, kept by its event id (schema v13): a repeat is seen."""

    __tablename__ = "processor_events"
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(255))  # the hosted session it names
    received_at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # posted, already, unmatched, ignored


class Refund(Base):
    """Money given back on a payment (schema v13): never more than the payment left after its
    other refunds; above the approval amount a second billing user approves before it is
    issued. Issued, it is posted as a negative payment (method "refund")."""

    __tablename__ = "refunds"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # awaiting (approval), issued, rejected
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    processor_ref: Mapped[str | None] = mapped_column(String(255), unique=True)


class AssistanceApplication(Base):
    """A request for financial assistance (schema v13): household size and income give the
    share of the federal poverty level, which the policy table turns into a discount that
    billing staff approve (or change, or deny)."""

    __tablename__ = "assistance_applications"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    submitted_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    household_size: Mapped[int] = mapped_column(Integer)
    annual_income_cents: Mapped[int] = mapped_column(BigInteger)
    percent_of_poverty: Mapped[int] = mapped_column(Integer)  # on the day it was sent
    suggested_percent: Mapped[int] = mapped_column(Integer)  # the policy table's discount
    status: Mapped[str] = mapped_column(String(16))  # submitted, approved, denied
    approved_percent: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    discount_cents: Mapped[int | None] = mapped_column(BigInteger)  # what the approval took off


class AssistanceDocument(StoredFile, Base):
    """Proof sent with an application (checked by content; stored privately; schema v13)."""

    __tablename__ = "assistance_documents"
    id: Mapped[uuid.UUID] = id_column()
    # No foreign key: DuckDB could then not record the decision (decided_by) on the application.
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)


class StatementRun(Base):
    """The month's statements sent (schema v13): once a month, by billing staff."""

    __tablename__ = "statement_runs"
    id: Mapped[uuid.UUID] = id_column()
    month: Mapped[date] = mapped_column(Date, unique=True)  # its first day
    run_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    run_at: Mapped[datetime] = mapped_column(DateTime)
    patients: Mapped[int] = mapped_column(Integer)  # with a balance
    notices: Mapped[int] = mapped_column(Integer)  # emails and texts queued
    paper: Mapped[int] = mapped_column(Integer)  # statements to print and mail


# --- proxies, HIM requests, documents -------------------------------------------------------
