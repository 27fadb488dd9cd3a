"""Schema version 12."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
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
        sa.text("UPDATE records_requests SET status = 'fulfilled' WHERE status = 'completed'")
    )
    conn.execute(
        sa.text(
            "UPDATE disclosures SET basis = CASE WHEN request_id IS NULL THEN 'patient' "
            "ELSE 'authorization' END"
        )
    )
    meta = sa.MetaData()
    stand_ins(meta, "users", "records_requests")
    sa.Table(
        "release_authorizations",
        meta,
        sa.Column("request_id", sa.Uuid, sa.ForeignKey("records_requests.id"), primary_key=True),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("recipient_address", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("parts", sa.String(80), nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.Column("end_event", sa.String(200)),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        ref("signed_by", "users", required=False),
        sa.Column("signer_relationship", sa.String(40), nullable=False),
        at("revoked_at", required=False),
        ref("revoked_by", "users", required=False),
    )
    stand_ins(meta, "patients")
    sa.Table(
        "amendments",
        meta,
        sa.Column("request_id", sa.Uuid, sa.ForeignKey("records_requests.id"), primary_key=True),
        ref("patient_id", "patients", index=True),
        sa.Column("item_kind", sa.String(16), nullable=False),
        sa.Column("item_id", sa.Uuid, nullable=False),
        sa.Column("item_label", sa.String(200), nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("notify", sa.Text),
        sa.Column("routed_to", sa.Uuid),
        sa.Column("decision", sa.String(16)),
        sa.Column("decided_by", sa.Uuid),
        at("decided_at", required=False),
        sa.Column("amendment_text", sa.Text),
        sa.Column("denial_ground", sa.String(32)),
        sa.Column("denial_note", sa.Text),
        sa.Column("disagreement", sa.Text),
        at("disagreement_at", required=False),
        sa.Column("rebuttal", sa.Text),
        at("rebuttal_at", required=False),
    )
    sa.Table(
        "record_updates",
        meta,
        sa.Column("request_id", sa.Uuid, sa.ForeignKey("records_requests.id"), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("first_name", sa.String(80), nullable=False),
        sa.Column("middle_name", sa.String(80)),
        sa.Column("last_name", sa.String(80), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("mrn", sa.String(16)),
        sa.Column("died_on", sa.Date),
        sa.Column("reporter_name", sa.String(160)),
        sa.Column("reporter_relationship", sa.String(40)),
        sa.Column("reporter_phone", sa.String(32)),
        sa.Column("document_type", sa.String(32)),
        sa.Column("adopted_on", sa.Date),
        sa.Column("new_first_name", sa.String(80)),
        sa.Column("new_last_name", sa.String(80)),
        sa.Column("adoptive_parents", sa.String(200)),
        sa.Column("storage_name", sa.String(64)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content_type", sa.String(40)),
        sa.Column("decided_note", sa.Text),
    )
    new = ("release_authorizations", "amendments", "record_updates")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
