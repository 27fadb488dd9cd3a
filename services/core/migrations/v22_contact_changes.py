"""Schema version 22."""

from __future__ import annotations

from sqlalchemy import Column, Connection, DateTime, ForeignKey, MetaData, String, Table, Uuid

from services.core.migrations.ddl import add_columns


def upgrade(conn: Connection) -> None:
    """A new mobile number waits for its code too; each change can be undone from the old
    address for a while."""
    add_columns(conn, (("users", "pending_phone", "VARCHAR(32)"),))
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))  # only for the foreign key
    Table(
        "contact_changes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
        Column("kind", String(8), nullable=False),
        Column("old_value", String(254)),
        Column("new_value", String(254)),
        Column("undo_hash", String(64), nullable=False, unique=True),
        Column("changed_at", DateTime, nullable=False),
        Column("undo_until", DateTime, nullable=False),
        Column("undone_at", DateTime),
    )
    meta.create_all(conn, tables=[meta.tables["contact_changes"]])
