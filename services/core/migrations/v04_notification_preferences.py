"""Schema version 4."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, ForeignKey, MetaData, String, Table, Uuid


def upgrade(conn: Connection) -> None:
    """Per kind of event, whether a user wants email and/or SMS."""
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "notification_preferences",
        meta,
        Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
        Column("kind", String(24), primary_key=True),
        Column("email", Boolean, nullable=False),
        Column("sms", Boolean, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["notification_preferences"]])
