"""Schema version 21."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
)


def upgrade(conn: Connection) -> None:
    """Records from other providers (FHIR bundles), kept apart from the clinic's own."""
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))  # only for the foreign keys
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "outside_imports",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("source", String(200), nullable=False),
        Column("file_name", String(200), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("imported_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("imported_at", DateTime, nullable=False),
        Column("items", Integer, nullable=False),
        Column("removed_at", DateTime),
        Column("removed_by", Uuid),
    )
    Table(
        "outside_items",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("import_id", Uuid, ForeignKey("outside_imports.id"), nullable=False, index=True),
        Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True),
        Column("key", String(64), nullable=False, unique=True),
        Column("kind", String(16), nullable=False),
        Column("code", String(32)),
        Column("name", String(200), nullable=False),
        Column("status", String(24)),
        Column("occurred_at", DateTime),
        Column("ended_at", DateTime),
        Column("value", Double),
        Column("value_text", String(200)),
        Column("unit", String(32)),
        Column("ref_low", Double),
        Column("ref_high", Double),
        Column("detail", String(200)),
    )
    new = ("outside_imports", "outside_items")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
