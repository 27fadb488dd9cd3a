"""Schema version 19."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key


def upgrade(conn: sa.Connection) -> None:
    """Results of verifying the audit chain, full and incremental (where the next walk starts)."""
    meta = sa.MetaData()
    sa.Table(
        "audit_verifications",
        meta,
        key(),
        sa.Column("kind", sa.String(16), nullable=False),
        at("started_at"),
        at("ended_at"),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("last_mac", sa.String(64), nullable=False),
        sa.Column("first_broken_seq", sa.BigInteger),
        sa.Column("problem", sa.String(200)),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Index("ix_audit_verifications_kind_ended", "kind", "ended_at"),
    )
    meta.create_all(conn)
