"""Schema version 2."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """TOTP switched on only after a correct code; recovery codes; one-time codes."""
    conn.execute(sa.text("ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP"))
    meta = sa.MetaData()
    sa.Table("users", meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "recovery_codes",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
    )
    sa.Table(
        "one_time_codes",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["recovery_codes"], meta.tables["one_time_codes"]])
