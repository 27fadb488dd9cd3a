"""Schema version 8."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """Weights and lab values as 8-byte floats. DuckDB's FLOAT is 4 bytes (8.1 read back as
    8.100000381); PostgreSQL's FLOAT was already 8 bytes. Each value goes through its shortest
    text form, so 87.9 stays 87.9. DuckDB will not alter a column of an indexed table: the
    lab_components index is dropped and made again. (patients.height_cm stays 4 bytes on
    DuckDB: every patient table depends on patients, so DuckDB refuses to alter it.)"""
    if conn.dialect.name != "duckdb":
        return

    def to_double(table: str, column: str) -> None:
        # DDL cannot bind identifiers; only the fixed names below are formatted in.
        exact = f"CAST(CAST({column} AS VARCHAR) AS DOUBLE)"
        conn.execute(sa.text(f"ALTER TABLE {table} ALTER {column} TYPE DOUBLE USING {exact}"))

    to_double("weight_readings", "weight_kg")
    conn.execute(sa.text("DROP INDEX IF EXISTS ix_lab_components_result_id"))
    for column in ("value", "ref_low", "ref_high"):
        to_double("lab_components", column)
    conn.execute(sa.text("CREATE INDEX ix_lab_components_result_id ON lab_components (result_id)"))
