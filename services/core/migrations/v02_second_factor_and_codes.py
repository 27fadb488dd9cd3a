"""Schema version 2."""

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
    text,
)


def upgrade(conn: Connection) -> None:
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
