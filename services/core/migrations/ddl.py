"""Helpers the steps share: plain DDL spelled out, never the current models."""

from __future__ import annotations

import uuid
from datetime import datetime

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


def key() -> sa.Column[uuid.UUID]:
    """A new table's own id."""
    return sa.Column("id", sa.Uuid, primary_key=True)


def ref(
    name: str, table: str, *, required: bool = True, index: bool = False
) -> sa.Column[uuid.UUID]:
    """A column holding another table's id, with its foreign key."""
    return sa.Column(
        name, sa.Uuid, sa.ForeignKey(f"{table}.id"), nullable=not required, index=index or None
    )


def at(name: str, *, required: bool = True) -> sa.Column[datetime]:
    """A moment (naive UTC, as every stored time)."""
    return sa.Column(name, sa.DateTime, nullable=not required)


def stand_ins(meta: sa.MetaData, *names: str) -> None:
    """Tables that already exist, by their id alone: what the new tables' foreign keys name."""
    for name in names:
        sa.Table(name, meta, key())
