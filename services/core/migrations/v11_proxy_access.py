"""Schema version 11."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    Table,
    Uuid,
    text,
)

from services.core.migrations.ddl import add_columns


def upgrade(conn: Connection) -> None:
    """Proxy access end to end: invitations, caregivers' requests with their documents and the
    reviewer's decision, notices of the age rules, caregivers' birth dates, and the confidential
    adolescent flag on appointments, message threads and statement lines."""
    add_columns(
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
