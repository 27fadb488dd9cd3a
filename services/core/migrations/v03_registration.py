"""Schema version 3."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """Activation codes that staff issue to patients; throttles for anonymous forms."""
    meta = sa.MetaData()
    sa.Table("patients", meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table("users", meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "activation_codes",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, index=True),
        sa.Column("issued_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
    )
    sa.Table(
        "throttles",
        meta,
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started_at", sa.DateTime, nullable=False),
        sa.Column("blocked_until", sa.DateTime),
    )
    meta.create_all(conn, tables=[meta.tables["activation_codes"], meta.tables["throttles"]])
