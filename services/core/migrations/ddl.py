"""Helpers the steps share: plain DDL spelled out, never the current models."""

from __future__ import annotations

import sqlalchemy as sa


def add_columns(conn: sa.Connection, columns: tuple[tuple[str, str, str], ...]) -> None:
    """ALTER TABLE ... ADD COLUMN for each (table, column, SQL type)."""
    for table, column, kind in columns:
        # DDL cannot bind identifiers; only the fixed names of the steps are formatted in.
        conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def stored_file() -> list[sa.Column[object]]:
    """The columns of a file kept by services.core.uploads (models.StoredFile), title first."""
    return [
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("storage_name", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime, nullable=False),
    ]
