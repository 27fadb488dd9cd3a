"""Schema version 20."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns


def upgrade(conn: sa.Connection) -> None:
    """The language each person reads the portal and its emails in (English when not set)."""
    add_columns(conn, (("users", "language", "VARCHAR(8)"),))
