"""Schema version 5."""

from __future__ import annotations

from sqlalchemy import Column, Connection, ForeignKey, MetaData, String, Table, Uuid


def upgrade(conn: Connection) -> None:
    """Each user's units for weight and glucose."""
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))
    Table(
        "unit_preferences",
        meta,
        Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
        Column("weight", String(8), nullable=False),
        Column("glucose", String(8), nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["unit_preferences"]])
