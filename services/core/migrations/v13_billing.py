"""Schema version 13."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at, key, ref, stored_file


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
        sa.Table(name, meta, key())
    sa.Table(
        "adjustments",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        ref("statement_id", "statements", index=True),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("note", sa.Text),
        ref("posted_by", "users", required=False),
        at("posted_at"),
    )
    sa.Table(
        "billing_preferences",
        meta,
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), primary_key=True),
        sa.Column("paperless", sa.Boolean, nullable=False),
        at("updated_at"),
        ref("updated_by", "users", required=False),
    )
    sa.Table(
        "checkouts",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        ref("started_by", "users"),
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
        at("created_at"),
        at("completed_at", required=False),
    )
    sa.Table(
        "processor_events",
        meta,
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(255)),
        at("received_at"),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    sa.Table(
        "refunds",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        ref("payment_id", "payments", index=True),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        ref("requested_by", "users"),
        at("requested_at"),
        sa.Column("status", sa.String(16), nullable=False),
        ref("decided_by", "users", required=False),
        at("decided_at", required=False),
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
        key(),
        ref("plan_id", "payment_plans", index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        at("paid_at", required=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("payment_ref", sa.String(255), unique=True),
    )
    sa.Table(
        "payment_methods",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        sa.Column("customer_ref", sa.String(255), nullable=False),
        sa.Column("processor_ref", sa.String(255), nullable=False, unique=True),
        sa.Column("brand", sa.String(24)),
        sa.Column("last4", sa.String(4)),
        ref("saved_by", "users", required=False),
        at("saved_at"),
        at("removed_at", required=False),
    )
    sa.Table(
        "assistance_applications",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        ref("submitted_by", "users"),
        at("submitted_at"),
        sa.Column("household_size", sa.Integer, nullable=False),
        sa.Column("annual_income_cents", sa.BigInteger, nullable=False),
        sa.Column("percent_of_poverty", sa.Integer, nullable=False),
        sa.Column("suggested_percent", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approved_percent", sa.Integer),
        ref("decided_by", "users", required=False),
        at("decided_at", required=False),
        sa.Column("decision_note", sa.Text),
        sa.Column("discount_cents", sa.BigInteger),
    )
    sa.Table(
        "assistance_documents",
        meta,
        key(),
        sa.Column("application_id", sa.Uuid, nullable=False, index=True),
        *stored_file(),
    )
    sa.Table(
        "statement_runs",
        meta,
        key(),
        sa.Column("month", sa.Date, nullable=False, unique=True),
        ref("run_by", "users"),
        at("run_at"),
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
