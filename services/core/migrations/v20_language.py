"""Schema version 20."""

from __future__ import annotations

from sqlalchemy import Connection

from services.core.migrations.ddl import add_columns


def upgrade(conn: Connection) -> None:
    """The language each person reads the portal and its emails in (English when not set)."""
    add_columns(conn, (("users", "language", "VARCHAR(8)"),))
