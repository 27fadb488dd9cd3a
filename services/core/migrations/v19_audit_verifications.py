"""Schema version 19."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Uuid,
)


def upgrade(conn: Connection) -> None:
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
