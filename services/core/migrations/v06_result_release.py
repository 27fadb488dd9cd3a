"""Schema version 6."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)


def upgrade(conn: Connection) -> None:
    """Result categories a patient asked to wait for their clinician (the privacy exception),
    and the history of hold decisions."""
    meta = MetaData()
    Table("patients", meta, Column("id", Uuid, primary_key=True))
    Table("lab_results", meta, Column("id", Uuid, primary_key=True))
    Table("providers", meta, Column("id", Uuid, primary_key=True))
    Table(
        "result_delay_preferences",
        meta,
        Column("patient_id", Uuid, ForeignKey("patients.id"), primary_key=True),
        Column("category", String(32), primary_key=True),
    )
    Table(
        "result_hold_decisions",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("result_id", Uuid, ForeignKey("lab_results.id"), nullable=False, index=True),
        Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False),
        Column("decision", String(16), nullable=False),
        Column("reason", String(32)),
        Column("note", Text),
        Column("until", DateTime),
        Column("decided_at", DateTime, nullable=False),
    )
    meta.create_all(
        conn,
        tables=[meta.tables["result_delay_preferences"], meta.tables["result_hold_decisions"]],
    )
    if conn.dialect.name == "duckdb":
        # Releasing a result updates released_at; DuckDB cannot while it is indexed (see models).
        conn.execute(text("DROP INDEX IF EXISTS ix_lab_results_status"))
