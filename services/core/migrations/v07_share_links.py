"""Schema version 7."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """Time-limited, single-recipient download links a patient can revoke."""
    meta = sa.MetaData()
    sa.Table("patients", meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table("users", meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "share_links",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("created_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("recipient_email", sa.String(254), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("uses", sa.Integer, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["share_links"]])
