"""Schema version 3."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Activation codes that staff issue to patients; throttles for anonymous forms."""
    meta = sa.MetaData()
    stand_ins(meta, "patients", "users")
    sa.Table(
        "activation_codes",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, index=True),
        ref("issued_by", "users", required=False),
        at("created_at"),
        at("expires_at"),
        at("used_at", required=False),
    )
    sa.Table(
        "throttles",
        meta,
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        at("window_started_at"),
        at("blocked_until", required=False),
    )
    meta.create_all(conn, tables=[meta.tables["activation_codes"], meta.tables["throttles"]])
