"""Schema version 4."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Per kind of event, whether a user wants email and/or SMS."""
    meta = sa.MetaData()
    stand_ins(meta, "users")
    sa.Table(
        "notification_preferences",
        meta,
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("email", sa.Boolean, nullable=False),
        sa.Column("sms", sa.Boolean, nullable=False),
    )
    meta.create_all(conn, tables=[meta.tables["notification_preferences"]])
