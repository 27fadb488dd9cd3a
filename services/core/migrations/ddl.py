"""Helpers the steps share: plain DDL spelled out, never the current models."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, DateTime, String, text


def add_columns(conn: Connection, columns: tuple[tuple[str, str, str], ...]) -> None:
    """ALTER TABLE ... ADD COLUMN for each (table, column, SQL type)."""
    for table, column, kind in columns:
        # DDL cannot bind identifiers; only the fixed names of the steps are formatted in.
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def stored_file() -> list[Column[object]]:
    """The columns of a file kept by services.core.uploads (models.StoredFile), title first."""
    return [
        Column("title", String(200), nullable=False),
        Column("content_type", String(40), nullable=False),
        Column("size_bytes", BigInteger, nullable=False),
        Column("storage_name", String(64), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("uploaded_at", DateTime, nullable=False),
    ]
