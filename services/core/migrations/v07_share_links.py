"""Schema version 7."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
)


def upgrade(conn: Connection) -> None:
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
