"""Schema version 7."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Time-limited, single-recipient download links a patient can revoke."""
    meta = sa.MetaData()
    stand_ins(meta, "patients", "users")
    sa.Table(
        "share_links",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        ref("created_by", "users"),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("recipient_email", sa.String(254), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        at("created_at"),
        at("expires_at"),
        at("revoked_at", required=False),
        sa.Column("uses", sa.Integer, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["share_links"]])
