"""Schema version 21."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Records from other providers (FHIR bundles), kept apart from the clinic's own."""
    meta = sa.MetaData()
    sa.Table("patients", meta, key())  # only for the foreign keys
    stand_ins(meta, "users")
    sa.Table(
        "outside_imports",
        meta,
        key(),
        ref("patient_id", "patients", index=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        ref("imported_by", "users"),
        at("imported_at"),
        sa.Column("items", sa.Integer, nullable=False),
        at("removed_at", required=False),
        sa.Column("removed_by", sa.Uuid),
    )
    sa.Table(
        "outside_items",
        meta,
        key(),
        ref("import_id", "outside_imports", index=True),
        ref("patient_id", "patients", index=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(24)),
        at("occurred_at", required=False),
        at("ended_at", required=False),
        sa.Column("value", sa.Double),
        sa.Column("value_text", sa.String(200)),
        sa.Column("unit", sa.String(32)),
        sa.Column("ref_low", sa.Double),
        sa.Column("ref_high", sa.Double),
        sa.Column("detail", sa.String(200)),
    )
    new = ("outside_imports", "outside_items")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
