"""Schema version 12."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from services.core.migrations.ddl import add_columns


def upgrade(conn: Connection) -> None:
    """Records requests worked end to end: what was asked and in what form, the assignee, the
    denial, the release package; the signed authorizations behind third-party releases;
    amendments; deceased and adoption notices; the legal basis of each disclosure; package
    links. "completed" is now
    "fulfilled"."""
    add_columns(
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
