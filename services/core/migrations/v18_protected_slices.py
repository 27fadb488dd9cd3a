"""Schema version 18."""

from __future__ import annotations

from sqlalchemy import Column, Connection, Date, MetaData, String, Table, Text


def upgrade(conn: Connection) -> None:
    """The analytics' small-cell masks, kept for later views and processes."""
    Table(
        "protected_slices",
        MetaData(),
        Column("digest", String(40), primary_key=True),
        Column("hidden", Text, nullable=False),
        Column("stored_on", Date, nullable=False),
    ).create(conn)
