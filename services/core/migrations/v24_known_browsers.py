"""Schema version 24."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """The browsers each account has signed in from (a keyed hash of the browser's binding
    cookie), for new-sign-in notices and "Trust this browser"."""
    meta = sa.MetaData()
    stand_ins(meta, "users")
    sa.Table(
        "known_browsers",
        meta,
        key(),
        ref("user_id", "users", index=True),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("description", sa.String(80), nullable=False),
        at("first_used_at"),
        at("last_used_at"),
        at("trusted_until", required=False),
        sa.UniqueConstraint("user_id", "browser_hash"),
    )
    meta.create_all(conn, tables=[meta.tables["known_browsers"]])
