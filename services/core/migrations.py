"""Numbered schema migrations: MIGRATIONS[i] upgrades a database from version i + 1 to i + 2.

Version 1 is the baseline `create_all` made. A new database is created from the models at the
latest version; an existing one runs the steps it lacks. Each step spells out its own DDL (never
the current models, which move on), and a test checks that both paths give the same schema.
Append a step for every change; never edit one that has shipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
    cast,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.sql import column as column_of
from sqlalchemy.sql import table as table_of

from services.core.audit import head_mac, write_checkpoint

Migration = Callable[[Connection], None]


def _add_columns(conn: Connection, columns: tuple[tuple[str, str, str], ...]) -> None:
    """ALTER TABLE ... ADD COLUMN for each (table, column, SQL type)."""
    for table, column, kind in columns:
        # DDL cannot bind identifiers; only the fixed names of the steps are formatted in.
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def _stored_file() -> list[Column[object]]:
    """The columns of a file kept by services.core.uploads (models.StoredFile), title first."""
    return [
        Column("title", String(200), nullable=False),
        Column("content_type", String(40), nullable=False),
        Column("size_bytes", BigInteger, nullable=False),
        Column("storage_name", String(64), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("uploaded_at", DateTime, nullable=False),
    ]


def _v2_second_factor_and_codes(conn: Connection) -> None:
    """TOTP switched on only after a correct code; recovery codes; one-time codes."""
    conn.execute(text("ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP"))
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "recovery_codes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
        Column("code_hash", String(64), nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("used_at", DateTime),
    )
    Table(
        "one_time_codes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
        Column("purpose", String(24), nullable=False),
        Column("code_hash", String(64), nullable=False, index=True),
        Column("created_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
        Column("used_at", DateTime),
        Column("attempts", Integer, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["recovery_codes"], meta.tables["one_time_codes"]])


def _v3_registration(conn: Connection) -> None:
    """Activation codes that staff issue to patients; throttles for anonymous forms."""
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "activation_codes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("code_hash", String(64), nullable=False, index=True),
        Column("issued_by", Uuid, ForeignKey("users.id")),
        Column("created_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
        Column("used_at", DateTime),
    )
    Table(
        "throttles",
        meta,
        Column("key_hash", String(64), primary_key=True),
        Column("failures", Integer, nullable=False),
        Column("window_started_at", DateTime, nullable=False),
        Column("blocked_until", DateTime),
    )
    meta.create_all(conn, tables=[meta.tables["activation_codes"], meta.tables["throttles"]])


def _v4_notification_preferences(conn: Connection) -> None:
    """Per kind of event, whether a user wants email and/or SMS."""
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "notification_preferences",
        meta,
        Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
        Column("kind", String(24), primary_key=True),
        Column("email", Boolean, nullable=False),
        Column("sms", Boolean, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["notification_preferences"]])


def _v5_unit_preferences(conn: Connection) -> None:
    """Each user's units for weight and glucose."""
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "unit_preferences",
        meta,
        Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
        Column("weight", String(8), nullable=False),
        Column("glucose", String(8), nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["unit_preferences"]])


def _v6_result_release(conn: Connection) -> None:
    """Result categories a patient asked to wait for their clinician (the privacy exception),
    and the history of hold decisions."""
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))
    Table("lab_results", meta, Column("id", Uuid, primary_key=True))
    Table("providers", meta, Column("id", Uuid, primary_key=True))
    Table(
        "result_delay_preferences",
        meta,
        Column("patient_id", Uuid, ForeignKey("patients.id"), primary_key=True),
        Column("category", String(32), primary_key=True),
    )
    Table(
        "result_hold_decisions",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("result_id", Uuid, ForeignKey("lab_results.id"), nullable=False, index=True),
        Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False),
        Column("decision", String(16), nullable=False),
        Column("reason", String(32)),
        Column("note", Text),
        Column("until", DateTime),
        Column("decided_at", DateTime, nullable=False),
    )
    meta.create_all(
        conn,
        tables=[meta.tables["result_delay_preferences"], meta.tables["result_hold_decisions"]],
    )
    if conn.dialect.name == "duckdb":
        # Releasing a result updates released_at; DuckDB cannot while it is indexed (see models).
        conn.execute(text("DROP INDEX IF EXISTS ix_lab_results_status"))


def _v7_share_links(conn: Connection) -> None:
    """Time-limited, single-recipient download links a patient can revoke."""
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "share_links",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("created_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("recipient_name", String(200), nullable=False),
        Column("recipient_email", String(254), nullable=False),
        Column("what", String(16), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
        Column("revoked_at", DateTime),
        Column("uses", Integer, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["share_links"]])


def _v8_double_values(conn: Connection) -> None:
    """Weights and lab values as 8-byte floats. DuckDB's FLOAT is 4 bytes (8.1 read back as
    8.100000381); PostgreSQL's FLOAT was already 8 bytes. Each value goes through its shortest
    text form, so 87.9 stays 87.9. DuckDB will not alter a column of an indexed table: the
    lab_components index is dropped and made again. (patients.height_cm stays 4 bytes on
    DuckDB: every patient table depends on patients, so DuckDB refuses to alter it.)"""
    if conn.dialect.name != "duckdb":
        return

    def to_double(table: str, column: str) -> None:
        # DDL cannot bind identifiers; only the fixed names below are formatted in.
        exact = f"CAST(CAST({column} AS VARCHAR) AS DOUBLE)"
        conn.execute(text(f"ALTER TABLE {table} ALTER {column} TYPE DOUBLE USING {exact}"))

    to_double("weight_readings", "weight_kg")
    conn.execute(text("DROP INDEX IF EXISTS ix_lab_components_result_id"))
    for column in ("value", "ref_low", "ref_high"):
        to_double("lab_components", column)
    conn.execute(text("CREATE INDEX ix_lab_components_result_id ON lab_components (result_id)"))


def _v9_account_security(conn: Connection) -> None:
    """Wrong second-step codes counted per account; an email change waiting for its code;
    outbox messages to a fixed address; the audit head's own MAC (computed for the head row)."""
    # No NOT NULL: DuckDB refuses that on a table other tables reference.
    conn.execute(text("ALTER TABLE users ADD COLUMN second_factor_failures INTEGER DEFAULT 0"))
    conn.execute(text("ALTER TABLE users ADD COLUMN pending_email VARCHAR(254)"))
    conn.execute(text("ALTER TABLE notification_outbox ADD COLUMN to_address VARCHAR(254)"))
    conn.execute(text("ALTER TABLE audit_head ADD COLUMN mac VARCHAR(64)"))
    head = conn.execute(text("SELECT last_seq, last_mac FROM audit_head WHERE id = 1")).first()
    if head is None:
        return
    conn.execute(
        text("UPDATE audit_head SET mac = :mac WHERE id = 1"),
        {"mac": head_mac(int(head.last_seq), str(head.last_mac))},
    )
    if head.last_seq:
        write_checkpoint(int(head.last_seq), str(head.last_mac))


def _v10_job_runs(conn: Connection) -> None:
    """Runs of the scheduled jobs, shown to admins."""
    meta = MetaData()
    Table(
        "job_runs",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("job", String(64), nullable=False),
        Column("slot", DateTime, nullable=False),
        Column("started_at", DateTime, nullable=False),
        Column("ended_at", DateTime, nullable=False),
        Column("items", Integer, nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("error", String(500)),
        Index("ix_job_runs_job_slot", "job", "slot"),
    )
    meta.create_all(conn)


def _v11_proxy_access(conn: Connection) -> None:
    """Proxy access end to end: invitations, caregivers' requests with their documents and the
    reviewer's decision, notices of the age rules, caregivers' birth dates, and the confidential
    adolescent flag on appointments, message threads and statement lines."""
    _add_columns(
        conn,
        (
            ("users", "birth_date", "DATE"),
            ("appointments", "sensitive", "BOOLEAN DEFAULT false"),
            ("message_threads", "sensitive", "BOOLEAN DEFAULT false"),
            ("statement_lines", "sensitive", "BOOLEAN DEFAULT false"),
            ("proxy_requests", "kind", "VARCHAR(16)"),
            ("proxy_requests", "patient_first_name", "VARCHAR(80)"),
            ("proxy_requests", "patient_last_name", "VARCHAR(80)"),
            ("proxy_requests", "patient_birth_date", "DATE"),
            ("proxy_requests", "patient_mrn", "VARCHAR(16)"),
            ("proxy_requests", "requester_note", "TEXT"),
            ("proxy_requests", "info_requested", "TEXT"),
            ("proxy_requests", "deny_reason", "VARCHAR(32)"),
            ("proxy_requests", "scopes", "VARCHAR(200)"),
            ("proxy_requests", "grant_ends_at", "TIMESTAMP"),
            ("proxy_requests", "match_confirmed_by", "UUID"),  # DuckDB: no FK in ADD COLUMN
            ("proxy_requests", "updated_at", "TIMESTAMP"),
        ),
    )
    conn.execute(
        text(
            "UPDATE proxy_requests SET status = 'received', kind = 'adult_legal' "
            "WHERE status = 'pending'"
        )
    )
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "proxy_request_documents",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("request_id", Uuid, nullable=False, index=True),
        Column("title", String(200), nullable=False),
        Column("doc_type", String(40), nullable=False),
        Column("content_type", String(40), nullable=False),
        Column("size_bytes", BigInteger, nullable=False),
        Column("storage_name", String(64), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("uploaded_at", DateTime, nullable=False),
    )
    Table(
        "proxy_invitations",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("invited_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("invitee_name", String(120), nullable=False),
        Column("invitee_email", String(254), nullable=False),
        Column("relationship", String(40), nullable=False),
        Column("scopes", String(200), nullable=False),
        Column("grant_ends_at", DateTime, nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created_at", DateTime, nullable=False),
        Column("link_expires_at", DateTime, nullable=False),
        Column("accepted_at", DateTime),
        Column("accepted_by", Uuid, ForeignKey("users.id")),
        Column("cancelled_at", DateTime),
    )
    Table(
        "proxy_notices",
        meta,
        Column("grant_id", Uuid, primary_key=True),
        Column("kind", String(24), primary_key=True),
        Column("change_on", Date, nullable=False),
        Column("sent_at", DateTime, nullable=False),
    )
    new = ("proxy_request_documents", "proxy_invitations", "proxy_notices")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])


def _v12_records_requests(conn: Connection) -> None:
    """Records requests worked end to end: what was asked and in what form, the assignee, the
    denial, the release package; the signed authorizations behind third-party releases;
    amendments; deceased and adoption notices; the legal basis of each disclosure; package
    links. "completed" is now
    "fulfilled"."""
    _add_columns(
        conn,
        (
            ("records_requests", "parts", "VARCHAR(80)"),
            ("records_requests", "date_from", "DATE"),
            ("records_requests", "date_to", "DATE"),
            ("records_requests", "delivery", "VARCHAR(16)"),
            ("records_requests", "limited", "BOOLEAN"),
            ("records_requests", "fee_cents", "INTEGER"),
            ("records_requests", "assigned_to", "UUID"),  # DuckDB: no FK in ADD COLUMN
            ("records_requests", "updated_at", "TIMESTAMP"),
            ("records_requests", "denial_ground", "VARCHAR(32)"),
            ("records_requests", "denial_note", "TEXT"),
            ("records_requests", "delivered_by", "VARCHAR(16)"),
            ("records_requests", "package_name", "VARCHAR(64)"),
            ("records_requests", "package_sha256", "VARCHAR(64)"),
            ("records_requests", "package_bytes", "BIGINT"),
            ("disclosures", "basis", "VARCHAR(24)"),
            ("share_links", "request_id", "UUID"),
        ),
    )
    conn.execute(
        text("UPDATE records_requests SET status = 'fulfilled' WHERE status = 'completed'")
    )
    conn.execute(
        text(
            "UPDATE disclosures SET basis = CASE WHEN request_id IS NULL THEN 'patient' "
            "ELSE 'authorization' END"
        )
    )
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table("records_requests", meta, Column("id", Uuid, primary_key=True))
    Table(
        "release_authorizations",
        meta,
        Column("request_id", Uuid, ForeignKey("records_requests.id"), primary_key=True),
        Column("recipient_name", String(200), nullable=False),
        Column("recipient_address", String(200), nullable=False),
        Column("purpose", String(200), nullable=False),
        Column("parts", String(80), nullable=False),
        Column("ends_on", Date),
        Column("end_event", String(200)),
        Column("signature", String(200), nullable=False),
        Column("signed_on", Date, nullable=False),
        Column("signed_by", Uuid, ForeignKey("users.id")),
        Column("signer_relationship", String(40), nullable=False),
        Column("revoked_at", DateTime),
        Column("revoked_by", Uuid, ForeignKey("users.id")),
    )
    Table("patients", meta, Column("id", Uuid, primary_key=True))
    Table(
        "amendments",
        meta,
        Column("request_id", Uuid, ForeignKey("records_requests.id"), primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("item_kind", String(16), nullable=False),
        Column("item_id", Uuid, nullable=False),
        Column("item_label", String(200), nullable=False),
        Column("change", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("notify", Text),
        Column("routed_to", Uuid),
        Column("decision", String(16)),
        Column("decided_by", Uuid),
        Column("decided_at", DateTime),
        Column("amendment_text", Text),
        Column("denial_ground", String(32)),
        Column("denial_note", Text),
        Column("disagreement", Text),
        Column("disagreement_at", DateTime),
        Column("rebuttal", Text),
        Column("rebuttal_at", DateTime),
    )
    Table(
        "record_updates",
        meta,
        Column("request_id", Uuid, ForeignKey("records_requests.id"), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("first_name", String(80), nullable=False),
        Column("middle_name", String(80)),
        Column("last_name", String(80), nullable=False),
        Column("birth_date", Date, nullable=False),
        Column("mrn", String(16)),
        Column("died_on", Date),
        Column("reporter_name", String(160)),
        Column("reporter_relationship", String(40)),
        Column("reporter_phone", String(32)),
        Column("document_type", String(32)),
        Column("adopted_on", Date),
        Column("new_first_name", String(80)),
        Column("new_last_name", String(80)),
        Column("adoptive_parents", String(200)),
        Column("storage_name", String(64)),
        Column("sha256", String(64)),
        Column("content_type", String(40)),
        Column("decided_note", Text),
    )
    new = ("release_authorizations", "amendments", "record_updates")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])


def _v13_billing(conn: Connection) -> None:
    """Billing worked end to end: each line's procedure code, adjustments with their reason
    codes, the patient's paperless preference, payments on the processor's hosted page
    (checkouts, and the processor's notifications by event id), refunds, and payment plans
    (their statements, instalments and the saved card that pays them), financial-assistance
    applications with their documents, and the monthly statement runs."""
    _add_columns(
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
        *_stored_file(),
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


def _v14_appointments(conn: Connection) -> None:
    """Appointments end to end: the sites' addresses; slots from schedule templates, closed by
    blocks or held for a waitlist offer; who booked, cancelled or rescheduled a visit, its video
    room and check-in; visit requests, the waitlist and its offers, reminders sent, e-check-ins
    and scored questionnaires."""
    _add_columns(
        conn,
        (
            ("sites", "address", "VARCHAR(200)"),
            ("appointment_slots", "template_id", "UUID"),
            ("appointment_slots", "blocked", "BOOLEAN"),
            ("appointment_slots", "held_until", "TIMESTAMP"),
            ("appointment_slots", "freed_at", "TIMESTAMP"),
            ("appointments", "booked_by", "UUID"),
            ("appointments", "rescheduled_from", "UUID"),
            ("appointments", "cancelled_by", "UUID"),
            ("appointments", "cancel_reason", "VARCHAR(200)"),
            ("appointments", "video_room", "VARCHAR(64)"),
            ("appointments", "checked_in_at", "TIMESTAMP"),
        ),
    )
    meta = MetaData()
    stand_ins = ("patients", "users", "providers", "sites")  # only for the foreign keys
    for name in stand_ins:
        Table(name, meta, Column("id", Uuid, primary_key=True))

    def patient() -> Column[uuid.UUID]:
        return Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True)

    Table(
        "schedule_templates",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False, index=True),
        Column("site_id", Uuid, ForeignKey("sites.id"), nullable=False),
        Column("weekday", Integer, nullable=False),
        Column("start_minute", Integer, nullable=False),
        Column("end_minute", Integer, nullable=False),
        Column("slot_minutes", Integer, nullable=False),
        Column("slot_kind", String(16), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("created_by", Uuid, ForeignKey("users.id")),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "schedule_blocks",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False, index=True),
        Column("starts_at", DateTime, nullable=False),
        Column("ends_at", DateTime, nullable=False),
        Column("reason", String(200), nullable=False),
        Column("created_by", Uuid, ForeignKey("users.id")),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "appointment_requests",
        meta,
        Column("id", Uuid, primary_key=True),
        patient(),
        Column("visit_type", String(24), nullable=False),
        Column("provider_id", Uuid),
        Column("preferred", Text, nullable=False),
        Column("note", Text),
        Column("status", String(16), nullable=False),
        Column("requested_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("requested_at", DateTime, nullable=False),
        Column("handled_by", Uuid),
        Column("handled_at", DateTime),
        Column("appointment_id", Uuid),
    )
    Table(
        "waitlist_entries",
        meta,
        Column("id", Uuid, primary_key=True),
        patient(),
        Column("appointment_id", Uuid, nullable=False, index=True),
        Column("provider_id", Uuid),
        Column("slot_kind", String(16), nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "waitlist_offers",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("entry_id", Uuid, nullable=False, index=True),
        Column("slot_id", Uuid, nullable=False, index=True),
        Column("offered_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
        Column("status", String(16), nullable=False),
    )
    Table(
        "reminders_sent",
        meta,
        Column("appointment_id", Uuid, primary_key=True),
        Column("days_before", Integer, primary_key=True),
        Column("sent_at", DateTime, nullable=False),
    )
    Table(
        "checkins",
        meta,
        Column("appointment_id", Uuid, primary_key=True),
        patient(),
        Column("contact_confirmed", Boolean, nullable=False),
        Column("insurance_confirmed", Boolean, nullable=False),
        Column("medication_changes", Text),
        Column("allergy_changes", Text),
        Column("completed_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("completed_at", DateTime, nullable=False),
    )
    Table(
        "questionnaire_responses",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("appointment_id", Uuid, nullable=False, index=True),
        patient(),
        Column("instrument", String(16), nullable=False),
        Column("answers", String(32), nullable=False),
        Column("score", Integer, nullable=False),
        Column("severity", String(24), nullable=False),
        Column("self_harm", Boolean, nullable=False),
        Column("submitted_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("submitted_at", DateTime, nullable=False),
    )
    meta.create_all(conn, tables=[t for t in meta.sorted_tables if t.name not in stand_ins])


def _v15_messaging_and_refills(conn: Connection) -> None:
    """Secure messaging with a staff inbox, and refills with a clinician queue: threads' category,
    recipient, pool, claim, waiting time and closing; signed messages with attachments; the
    staff-only thread notes; the pharmacy directory; controlled substances; refill requests'
    pharmacy, note, approved quantity and refills, and when they went to the pharmacy."""
    _add_columns(
        conn,
        (
            ("message_threads", "category", "VARCHAR(24)"),
            ("message_threads", "recipient", "VARCHAR(16)"),
            ("message_threads", "pool", "VARCHAR(64)"),
            ("message_threads", "assigned_to", "UUID"),
            ("message_threads", "waiting_since", "TIMESTAMP"),
            ("message_threads", "updated_at", "TIMESTAMP"),
            ("message_threads", "closed_at", "TIMESTAMP"),
            ("message_threads", "closed_by", "UUID"),
            ("messages", "signature", "VARCHAR(200)"),
            ("medications", "controlled", "VARCHAR(4)"),
            ("refill_requests", "pharmacy_id", "UUID"),
            ("refill_requests", "note", "VARCHAR(500)"),
            ("refill_requests", "quantity", "INTEGER"),
            ("refill_requests", "refills", "INTEGER"),
            ("refill_requests", "sent_at", "TIMESTAMP"),
        ),
    )
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))  # only for the foreign key
    Table(
        "message_attachments",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("message_id", Uuid, nullable=False, index=True),
        *_stored_file(),
    )
    Table(
        "thread_notes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("thread_id", Uuid, nullable=False, index=True),
        Column("author_user_id", Uuid, ForeignKey("users.id")),
        Column("kind", String(16), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "pharmacies",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("name", String(160), nullable=False),
        Column("address", String(200), nullable=False),
        Column("phone", String(32), nullable=False),
        Column("ncpdp_id", String(7), nullable=False, unique=True),
    )
    new = ("message_attachments", "thread_notes", "pharmacies")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
    if conn.dialect.name == "postgresql":  # the staff queues' indexes (see services/care/tables)
        conn.execute(
            text(
                "CREATE INDEX ix_message_threads_open_pool ON message_threads (pool, waiting_since)"
                " WHERE status = 'open'"
            )
        )
        conn.execute(
            text("CREATE INDEX ix_refill_requests_status ON refill_requests (status, requested_at)")
        )


def _v16_usage_analytics(conn: Connection) -> None:
    """Portal-usage analytics: when each usage event reached the database; the daily rollups and
    their watermark; the activation funnel's email verification and first sign-in (taken from
    the audit log for accounts that already have them)."""
    _add_columns(
        conn,
        (
            ("portal_usage_events", "recorded_at", "TIMESTAMP"),
            ("users", "email_verified_at", "TIMESTAMP"),
            ("users", "first_sign_in_at", "TIMESTAMP"),
        ),
    )
    conn.execute(text("UPDATE portal_usage_events SET recorded_at = occurred_at"))
    for column, action in (
        ("email_verified_at", "registration.verified"),
        ("first_sign_in_at", "auth.sign_in"),
    ):
        conn.execute(
            text(
                f"UPDATE users SET {column} = (SELECT min(a.occurred_at) FROM audit_log a "
                "WHERE a.actor_user_id = users.id AND a.action = :action "
                "AND a.outcome = 'success')"
            ),
            {"action": action},
        )
    meta = MetaData()
    Table(
        "usage_user_days",
        meta,
        Column("day", Date, nullable=False),
        Column("user_id", Uuid, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("features", Integer, nullable=False),
        Column("events", Integer, nullable=False),
        Column("sign_ins", Integer, nullable=False),
    )
    Table(
        "usage_hours",
        meta,
        Column("day", Date, nullable=False),
        Column("hour", SmallInteger, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("events", Integer, nullable=False),
        Column("sign_ins", Integer, nullable=False),
        Column("users", Integer, nullable=False),
    )
    Table(
        "usage_rollup_state",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("rolled_until", DateTime, nullable=False),
    )
    meta.create_all(conn)
    if conn.dialect.name == "postgresql":  # keys and the watermark's index (see db.py)
        conn.execute(text("ALTER TABLE usage_user_days ADD PRIMARY KEY (day, user_id)"))
        conn.execute(text("ALTER TABLE usage_hours ADD PRIMARY KEY (day, hour, site, age_band)"))
        conn.execute(
            text(
                "CREATE INDEX ix_portal_usage_events_recorded ON portal_usage_events (recorded_at)"
            )
        )


def _v17_service_facts(conn: Connection) -> None:
    """The facts the dashboard's service levels are counted from (filled from scratch by the
    rollup job's next run: they have no watermark yet); people per day and group, and each
    person's weeks and months of use, from their days."""
    Table(
        "service_facts",
        MetaData(),
        Column("kind", String(12), nullable=False),
        Column("item_id", Uuid, nullable=False),
        Column("day", Date, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("queue", String(64)),
        Column("started_at", DateTime, nullable=False),
        Column("done_at", DateTime),
        Column("due_at", DateTime),
        Column("hours", Double),
        Column("flag", Boolean),
        Column("flag_hours", Double),
        Column("amount_cents", BigInteger),
    ).create(conn)
    Table(
        "usage_user_periods",
        MetaData(),
        Column("unit", String(5), nullable=False),
        Column("start", Date, nullable=False),
        Column("user_id", Uuid, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("features", Integer, nullable=False),
    ).create(conn)
    Table(
        "usage_group_days",
        MetaData(),
        Column("day", Date, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("people", Integer, nullable=False),
    ).create(conn)
    conn.execute(
        text(
            "INSERT INTO usage_group_days SELECT day, site, age_band, count(*) "
            "FROM usage_user_days GROUP BY day, site, age_band"
        )
    )
    days = table_of(
        "usage_user_days", *(column_of(c) for c in ("day", "user_id", "site", "age_band"))
    )
    features = column_of("features", Integer)
    days.append_column(features)
    names = ["unit", "start", "user_id", "site", "age_band", "features"]
    for unit in ("week", "month"):
        start = cast(func.date_trunc(unit, cast(days.c.day, DateTime)), Date)
        per_person = select(
            literal(unit),
            start,
            days.c.user_id,
            func.max(days.c.site),
            func.max(days.c.age_band),
            func.bit_or(features),
        ).group_by(start, days.c.user_id)
        target = table_of("usage_user_periods", *(column_of(n) for n in names))
        conn.execute(insert(target).from_select(names, per_person))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE service_facts ADD PRIMARY KEY (kind, item_id)"))
        conn.execute(text("ALTER TABLE usage_user_periods ADD PRIMARY KEY (unit, start, user_id)"))
        conn.execute(text("ALTER TABLE usage_group_days ADD PRIMARY KEY (day, site, age_band)"))


def _v18_protected_slices(conn: Connection) -> None:
    """The analytics' small-cell masks, kept for later views and processes."""
    Table(
        "protected_slices",
        MetaData(),
        Column("digest", String(40), primary_key=True),
        Column("hidden", Text, nullable=False),
        Column("stored_on", Date, nullable=False),
    ).create(conn)


def _v19_audit_verifications(conn: Connection) -> None:
    """Results of verifying the audit chain, full and incremental (where the next walk starts)."""
    meta = MetaData()
    Table(
        "audit_verifications",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("started_at", DateTime, nullable=False),
        Column("ended_at", DateTime, nullable=False),
        Column("entries", BigInteger, nullable=False),
        Column("ok", Boolean, nullable=False),
        Column("last_seq", BigInteger, nullable=False),
        Column("last_mac", String(64), nullable=False),
        Column("first_broken_seq", BigInteger),
        Column("problem", String(200)),
        Column("tag", String(64), nullable=False),
        Index("ix_audit_verifications_kind_ended", "kind", "ended_at"),
    )
    meta.create_all(conn)


def _v20_language(conn: Connection) -> None:
    """The language each person reads the portal and its emails in (English when not set)."""
    _add_columns(conn, (("users", "language", "VARCHAR(8)"),))


def _v21_outside_records(conn: Connection) -> None:
    """Records from other providers (FHIR bundles), kept apart from the clinic's own."""
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))  # only for the foreign keys
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "outside_imports",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("source", String(200), nullable=False),
        Column("file_name", String(200), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("imported_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("imported_at", DateTime, nullable=False),
        Column("items", Integer, nullable=False),
        Column("removed_at", DateTime),
        Column("removed_by", Uuid),
    )
    Table(
        "outside_items",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("import_id", Uuid, ForeignKey("outside_imports.id"), nullable=False, index=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("key", String(64), nullable=False, unique=True),
        Column("kind", String(16), nullable=False),
        Column("code", String(32)),
        Column("name", String(200), nullable=False),
        Column("status", String(24)),
        Column("occurred_at", DateTime),
        Column("ended_at", DateTime),
        Column("value", Double),
        Column("value_text", String(200)),
        Column("unit", String(32)),
        Column("ref_low", Double),
        Column("ref_high", Double),
        Column("detail", String(200)),
    )
    new = ("outside_imports", "outside_items")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])


def _v22_contact_changes(conn: Connection) -> None:
    """A new mobile number waits for its code too; each change can be undone from the old
    address for a while."""
    _add_columns(conn, (("users", "pending_phone", "VARCHAR(32)"),))
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))  # only for the foreign key
    Table(
        "contact_changes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
        Column("kind", String(8), nullable=False),
        Column("old_value", String(254)),
        Column("new_value", String(254)),
        Column("undo_hash", String(64), nullable=False, unique=True),
        Column("changed_at", DateTime, nullable=False),
        Column("undo_until", DateTime, nullable=False),
        Column("undone_at", DateTime),
    )
    meta.create_all(conn, tables=[meta.tables["contact_changes"]])


MIGRATIONS: list[Migration] = [
    _v2_second_factor_and_codes,
    _v3_registration,
    _v4_notification_preferences,
    _v5_unit_preferences,
    _v6_result_release,
    _v7_share_links,
    _v8_double_values,
    _v9_account_security,
    _v10_job_runs,
    _v11_proxy_access,
    _v12_records_requests,
    _v13_billing,
    _v14_appointments,
    _v15_messaging_and_refills,
    _v16_usage_analytics,
    _v17_service_facts,
    _v18_protected_slices,
    _v19_audit_verifications,
    _v20_language,
    _v21_outside_records,
    _v22_contact_changes,
]
