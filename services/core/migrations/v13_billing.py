"""Schema version 13."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, stored_file


def upgrade(conn: sa.Connection) -> None:
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
    meta = sa.MetaData()
    for name in ("patients", "users", "statements", "payments", "payment_plans"):
        sa.Table(name, meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "adjustments",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column(
            "statement_id", sa.Uuid, sa.ForeignKey("statements.id"), nullable=False, index=True
        ),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("posted_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("posted_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "billing_preferences",
        meta,
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), primary_key=True),
        sa.Column("paperless", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.Uuid, sa.ForeignKey("users.id")),
    )
    sa.Table(
        "checkouts",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("started_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("statement_id", sa.Uuid),
        sa.Column("plan_id", sa.Uuid),
        sa.Column("confidential", sa.Boolean, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("processor_ref", sa.String(255), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payment_ref", sa.String(255), unique=True),
        sa.Column("card_last4", sa.String(4)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("completed_at", sa.DateTime),
    )
    sa.Table(
        "processor_events",
        meta,
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(255)),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    sa.Table(
        "refunds",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("payment_id", sa.Uuid, sa.ForeignKey("payments.id"), nullable=False, index=True),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decision_note", sa.Text),
        sa.Column("processor_ref", sa.String(255), unique=True),
    )
    sa.Table(
        "plan_statements",
        meta,
        sa.Column("plan_id", sa.Uuid, sa.ForeignKey("payment_plans.id"), primary_key=True),
        sa.Column("statement_id", sa.Uuid, sa.ForeignKey("statements.id"), primary_key=True),
    )
    sa.Table(
        "plan_instalments",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "plan_id", sa.Uuid, sa.ForeignKey("payment_plans.id"), nullable=False, index=True
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_at", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("payment_ref", sa.String(255), unique=True),
    )
    sa.Table(
        "payment_methods",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("customer_ref", sa.String(255), nullable=False),
        sa.Column("processor_ref", sa.String(255), nullable=False, unique=True),
        sa.Column("brand", sa.String(24)),
        sa.Column("last4", sa.String(4)),
        sa.Column("saved_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("saved_at", sa.DateTime, nullable=False),
        sa.Column("removed_at", sa.DateTime),
    )
    sa.Table(
        "assistance_applications",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("submitted_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.Column("household_size", sa.Integer, nullable=False),
        sa.Column("annual_income_cents", sa.BigInteger, nullable=False),
        sa.Column("percent_of_poverty", sa.Integer, nullable=False),
        sa.Column("suggested_percent", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approved_percent", sa.Integer),
        sa.Column("decided_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decision_note", sa.Text),
        sa.Column("discount_cents", sa.BigInteger),
    )
    sa.Table(
        "assistance_documents",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("application_id", sa.Uuid, nullable=False, index=True),
        *stored_file(),
    )
    sa.Table(
        "statement_runs",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("month", sa.Date, nullable=False, unique=True),
        sa.Column("run_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("run_at", sa.DateTime, nullable=False),
        sa.Column("patients", sa.Integer, nullable=False),
        sa.Column("notices", sa.Integer, nullable=False),
        sa.Column("paper", sa.Integer, nullable=False),
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
