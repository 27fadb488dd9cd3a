"""Schema version 3."""

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
