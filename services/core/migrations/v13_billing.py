"""Schema version 13."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from services.core.migrations.ddl import add_columns, stored_file


def upgrade(conn: Connection) -> None:
    """Billing worked end to end: each line's procedure code, adjustments with their reason
    codes, the patient's paperless preference, payments on the processor's hosted page
    (checkouts, and the processor's notifications by event id), refunds, and payment plans
    (their statements, instalments and the saved card that pays them), financial-assistance
    applications with their documents, and the monthly statement runs."""
    add_columns(
        conn,
        (
            ("statement_lines", "code", "VARCHAR(16)"),
            ("payment_plans", "months", "INTEGER"),
            ("payment_plans", "payment_method_id", "UUID"),  # DuckDB: no FK in ADD COLUMN
            ("payment_plans", "created_by", "UUID"),
            ("payment_plans", "created_at", "TIMESTAMP"),
            ("insurance_coverages", "front_document_id", "UUID"),
            ("insurance_coverages", "back_document_id", "UUID"),
            ("insurance_coverages", "added_at", "TIMESTAMP"),
        ),
    )
    meta = MetaData()
    for name in ("patients", "users", "statements", "payments", "payment_plans"):
        Table(name, meta, Column("id", Uuid, primary_key=True))
    Table(
        "adjustments",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("statement_id", Uuid, ForeignKey("statements.id"), nullable=False, index=True),
        Column("amount_cents", BigInteger, nullable=False),
        Column("reason", String(24), nullable=False),
        Column("note", Text),
        Column("posted_by", Uuid, ForeignKey("users.id")),
        Column("posted_at", DateTime, nullable=False),
    )
    Table(
        "billing_preferences",
        meta,
        Column("patient_id", Uuid, ForeignKey("patients.id"), primary_key=True),
        Column("paperless", Boolean, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("updated_by", Uuid, ForeignKey("users.id")),
    )
    Table(
        "checkouts",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("started_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("purpose", String(16), nullable=False),
        Column("statement_id", Uuid),
        Column("plan_id", Uuid),
        Column("confidential", Boolean, nullable=False),
        Column("amount_cents", BigInteger, nullable=False),
        Column("idempotency_key", String(64), nullable=False, unique=True),
        Column("processor_ref", String(255), nullable=False, unique=True),
        Column("url", Text, nullable=False),
        Column("status", String(16), nullable=False),
        Column("payment_ref", String(255), unique=True),
        Column("card_last4", String(4)),
        Column("created_at", DateTime, nullable=False),
        Column("completed_at", DateTime),
    )
    Table(
        "processor_events",
        meta,
        Column("event_id", String(255), primary_key=True),
        Column("kind", String(64), nullable=False),
        Column("reference", String(255)),
        Column("received_at", DateTime, nullable=False),
        Column("outcome", String(16), nullable=False),
    )
    Table(
        "refunds",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("payment_id", Uuid, ForeignKey("payments.id"), nullable=False, index=True),
        Column("amount_cents", BigInteger, nullable=False),
        Column("reason", Text, nullable=False),
        Column("requested_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("requested_at", DateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("decided_by", Uuid, ForeignKey("users.id")),
        Column("decided_at", DateTime),
        Column("decision_note", Text),
        Column("processor_ref", String(255), unique=True),
    )
    Table(
        "plan_statements",
        meta,
        Column("plan_id", Uuid, ForeignKey("payment_plans.id"), primary_key=True),
        Column("statement_id", Uuid, ForeignKey("statements.id"), primary_key=True),
    )
    Table(
        "plan_instalments",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("plan_id", Uuid, ForeignKey("payment_plans.id"), nullable=False, index=True),
        Column("number", Integer, nullable=False),
        Column("due_date", Date, nullable=False),
        Column("amount_cents", BigInteger, nullable=False),
        Column("status", String(16), nullable=False),
        Column("paid_at", DateTime),
        Column("attempts", Integer, nullable=False),
        Column("payment_ref", String(255), unique=True),
    )
    Table(
        "payment_methods",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("customer_ref", String(255), nullable=False),
        Column("processor_ref", String(255), nullable=False, unique=True),
        Column("brand", String(24)),
        Column("last4", String(4)),
        Column("saved_by", Uuid, ForeignKey("users.id")),
        Column("saved_at", DateTime, nullable=False),
        Column("removed_at", DateTime),
    )
    Table(
        "assistance_applications",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("submitted_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("submitted_at", DateTime, nullable=False),
        Column("household_size", Integer, nullable=False),
        Column("annual_income_cents", BigInteger, nullable=False),
        Column("percent_of_poverty", Integer, nullable=False),
        Column("suggested_percent", Integer, nullable=False),
        Column("status", String(16), nullable=False),
        Column("approved_percent", Integer),
        Column("decided_by", Uuid, ForeignKey("users.id")),
        Column("decided_at", DateTime),
        Column("decision_note", Text),
        Column("discount_cents", BigInteger),
    )
    Table(
        "assistance_documents",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("application_id", Uuid, nullable=False, index=True),
        *stored_file(),
    )
    Table(
        "statement_runs",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("month", Date, nullable=False, unique=True),
        Column("run_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("run_at", DateTime, nullable=False),
        Column("patients", Integer, nullable=False),
        Column("notices", Integer, nullable=False),
        Column("paper", Integer, nullable=False),
    )
    new = (
        "statement_runs",
        "assistance_applications",
        "assistance_documents",
        "adjustments",
        "billing_preferences",
        "checkouts",
        "processor_events",
        "refunds",
        "plan_statements",
        "plan_instalments",
        "payment_methods",
    )
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
