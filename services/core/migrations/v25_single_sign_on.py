"""Schema version 25."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Staff single sign-on: each staff account's link to an identity provider's subject, and
    the sign-ins under way (their state, nonce and PKCE verifier, each used once)."""
    meta = sa.MetaData()
    stand_ins(meta, "users")
    sa.Table(
        "sso_links",
        meta,
        key(),
        ref("user_id", "users"),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        ref("linked_by", "users"),
        at("linked_at"),
        at("last_used_at", required=False),
        sa.UniqueConstraint("user_id"),
        sa.UniqueConstraint("issuer", "subject"),
    )
    sa.Table(
        "sso_logins",
        meta,
        key(),
        sa.Column("state_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("sealed", sa.String(400), nullable=False),
        at("created_at"),
        at("expires_at"),
        at("used_at", required=False),
    )
    meta.create_all(conn, tables=[meta.tables["sso_links"], meta.tables["sso_logins"]])
