"""Schema version 21."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """Records from other providers (FHIR bundles), kept apart from the clinic's own."""
    meta = sa.MetaData()
    sa.Table(
        "patients", meta, sa.Column("id", sa.Uuid, primary_key=True)
    )  # only for the foreign keys
    sa.Table("users", meta, sa.Column("id", sa.Uuid, primary_key=True))
    sa.Table(
        "outside_imports",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("removed_at", sa.DateTime),
        sa.Column("removed_by", sa.Uuid),
    )
    sa.Table(
        "outside_items",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "import_id", sa.Uuid, sa.ForeignKey("outside_imports.id"), nullable=False, index=True
        ),
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(24)),
        sa.Column("occurred_at", sa.DateTime),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("value", sa.Double),
        sa.Column("value_text", sa.String(200)),
        sa.Column("unit", sa.String(32)),
        sa.Column("ref_low", sa.Double),
        sa.Column("ref_high", sa.Double),
        sa.Column("detail", sa.String(200)),
    )
    new = ("outside_imports", "outside_items")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
