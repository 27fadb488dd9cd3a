"""Schema version 16."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Uuid,
    text,
)

from services.core.migrations.ddl import add_columns


def upgrade(conn: Connection) -> None:
    """Portal-usage analytics: when each usage event reached the database; the daily rollups and
    their watermark; the activation funnel's email verification and first sign-in (taken from
    the audit log for accounts that already have them)."""
    add_columns(
        conn,
        (
            ("portal_usage_events", "recorded_at", "TIMESTAMP"),
            ("users", "email_verified_at", "TIMESTAMP"),
            ("users", "first_sign_in_at", "TIMESTAMP"),
        ),
    )
    conn.execute(text("UPDATE portal_usage_events SET recorded_at = occurred_at"))
    for column, action in (
        ("email_verified_at", "registration.verified"),
        ("first_sign_in_at", "auth.sign_in"),
    ):
        conn.execute(
            text(
                f"UPDATE users SET {column} = (SELECT min(a.occurred_at) FROM audit_log a "
                "WHERE a.actor_user_id = users.id AND a.action = :action "
                "AND a.outcome = 'success')"
            ),
            {"action": action},
        )
    meta = MetaData()
    Table(
        "usage_user_days",
        meta,
        Column("day", Date, nullable=False),
        Column("user_id", Uuid, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("features", Integer, nullable=False),
        Column("events", Integer, nullable=False),
        Column("sign_ins", Integer, nullable=False),
    )
    Table(
        "usage_hours",
        meta,
        Column("day", Date, nullable=False),
        Column("hour", SmallInteger, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("events", Integer, nullable=False),
        Column("sign_ins", Integer, nullable=False),
        Column("users", Integer, nullable=False),
    )
    Table(
        "usage_rollup_state",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("rolled_until", DateTime, nullable=False),
    )
    meta.create_all(conn)
    if conn.dialect.name == "postgresql":  # keys and the watermark's index (see db.py)
        conn.execute(text("ALTER TABLE usage_user_days ADD PRIMARY KEY (day, user_id)"))
        conn.execute(text("ALTER TABLE usage_hours ADD PRIMARY KEY (day, hour, site, age_band)"))
        conn.execute(
            text(
                "CREATE INDEX ix_portal_usage_events_recorded ON portal_usage_events (recorded_at)"
            )
        )
