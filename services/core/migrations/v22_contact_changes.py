"""Schema version 22."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at, key, ref


def upgrade(conn: sa.Connection) -> None:
    """A new mobile number waits for its code too; each change can be undone from the old
    address for a while."""
    add_columns(conn, (("users", "pending_phone", "VARCHAR(32)"),))
    meta = sa.MetaData()
    sa.Table("users", meta, key())  # only for the foreign key
    sa.Table(
        "contact_changes",
        meta,
        key(),
        ref("user_id", "users", index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("old_value", sa.String(254)),
        sa.Column("new_value", sa.String(254)),
        sa.Column("undo_hash", sa.String(64), nullable=False, unique=True),
        at("changed_at"),
        at("undo_until"),
        at("undone_at", required=False),
    )
    meta.create_all(conn, tables=[meta.tables["contact_changes"]])
