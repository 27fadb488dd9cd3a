"""Schema version 6."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Result categories a patient asked to wait for their clinician (the privacy exception),
    and the history of hold decisions."""
    meta = sa.MetaData()
    stand_ins(meta, "patients", "lab_results", "providers")
    sa.Table(
        "result_delay_preferences",
        meta,
        sa.Column("patient_id", sa.Uuid, sa.ForeignKey("patients.id"), primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
    )
    sa.Table(
        "result_hold_decisions",
        meta,
        key(),
        ref("result_id", "lab_results", index=True),
        ref("provider_id", "providers"),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("note", sa.Text),
        at("until", required=False),
        at("decided_at"),
    )
    meta.create_all(
        conn,
        tables=[meta.tables["result_delay_preferences"], meta.tables["result_hold_decisions"]],
    )
    if conn.dialect.name == "duckdb":
        # Releasing a result updates released_at; DuckDB cannot while it is indexed (see models).
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_lab_results_status"))
