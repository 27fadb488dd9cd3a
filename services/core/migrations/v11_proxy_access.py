"""Schema version 11."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
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
        sa.text(
            "UPDATE proxy_requests SET status = 'received', kind = 'adult_legal' "
            "WHERE status = 'pending'"
        )
    )
    meta = sa.MetaData()
    stand_ins(meta, "patients", "users")
    sa.Table(
        "proxy_request_documents",
        meta,
        key(),
        sa.Column("request_id", sa.Uuid, nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("doc_type", sa.String(40), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("storage_name", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        at("uploaded_at"),
    )
    sa.Table(
        "proxy_invitations",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        ref("invited_by", "users"),
        sa.Column("invitee_name", sa.String(120), nullable=False),
        sa.Column("invitee_email", sa.String(254), nullable=False),
        sa.Column("relationship", sa.String(40), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        at("grant_ends_at"),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        at("created_at"),
        at("link_expires_at"),
        at("accepted_at", required=False),
        ref("accepted_by", "users", required=False),
        at("cancelled_at", required=False),
    )
    sa.Table(
        "proxy_notices",
        meta,
        sa.Column("grant_id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("change_on", sa.Date, nullable=False),
        at("sent_at"),
    )
    new = ("proxy_request_documents", "proxy_invitations", "proxy_notices")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
