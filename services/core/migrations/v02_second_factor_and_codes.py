"""Schema version 2."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """TOTP switched on only after a correct code; recovery codes; one-time codes."""
    conn.execute(sa.text("ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP"))
    meta = sa.MetaData()
    stand_ins(meta, "users")
    sa.Table(
        "recovery_codes",
        meta,
        key(),
        ref("user_id", "users", index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        at("created_at"),
        at("used_at", required=False),
    )
    sa.Table(
        "one_time_codes",
        meta,
        key(),
        ref("user_id", "users", index=True),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, index=True),
        at("created_at"),
        at("expires_at"),
        at("used_at", required=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["recovery_codes"], meta.tables["one_time_codes"]])
