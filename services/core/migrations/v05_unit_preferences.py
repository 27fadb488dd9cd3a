"""Schema version 5."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Each user's units for weight and glucose."""
    meta = sa.MetaData()
    stand_ins(meta, "users")
    sa.Table(
        "unit_preferences",
        meta,
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("weight", sa.String(8), nullable=False),
        sa.Column("glucose", sa.String(8), nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["unit_preferences"]])
