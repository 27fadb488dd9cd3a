"""Schema version 23."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key, ref, stand_ins


def upgrade(conn: sa.Connection) -> None:
    """Passkeys and security keys (WebAuthn credentials), and the challenges of their
    ceremonies."""
    meta = sa.MetaData()
    stand_ins(meta, "users")
    sa.Table(
        "webauthn_credentials",
        meta,
        key(),
        ref("user_id", "users", index=True),
        sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("transports", sa.String(120), nullable=False),
        at("created_at"),
        at("last_used_at", required=False),
    )
    sa.Table(
        "webauthn_challenges",
        meta,
        key(),
        ref("user_id", "users", required=False, index=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("challenge_hash", sa.String(64), nullable=False, unique=True),
        at("created_at"),
        at("expires_at"),
        at("used_at", required=False),
    )
    meta.create_all(
        conn, tables=[meta.tables["webauthn_credentials"], meta.tables["webauthn_challenges"]]
    )
