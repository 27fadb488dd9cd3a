"""Schema version 16."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at


def upgrade(conn: sa.Connection) -> None:
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
    conn.execute(sa.text("UPDATE portal_usage_events SET recorded_at = occurred_at"))
    for column, action in (
        ("email_verified_at", "registration.verified"),
        ("first_sign_in_at", "auth.sign_in"),
    ):
        conn.execute(
            sa.text(
                f"UPDATE users SET {column} = (SELECT min(a.occurred_at) FROM audit_log a "
                "WHERE a.actor_user_id = users.id AND a.action = :action "
                "AND a.outcome = 'success')"
            ),
            {"action": action},
        )
    meta = sa.MetaData()
    sa.Table(
        "usage_user_days",
        meta,
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("features", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("sign_ins", sa.Integer, nullable=False),
    )
    sa.Table(
        "usage_hours",
        meta,
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("sign_ins", sa.Integer, nullable=False),
        sa.Column("users", sa.Integer, nullable=False),
    )
    sa.Table(
        "usage_rollup_state",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        at("rolled_until"),
    )
    meta.create_all(conn)
    if conn.dialect.name == "postgresql":  # keys and the watermark's index (see db.py)
        conn.execute(sa.text("ALTER TABLE usage_user_days ADD PRIMARY KEY (day, user_id)"))
        conn.execute(sa.text("ALTER TABLE usage_hours ADD PRIMARY KEY (day, hour, site, age_band)"))
        conn.execute(
            sa.text(
                "CREATE INDEX ix_portal_usage_events_recorded ON portal_usage_events (recorded_at)"
            )
        )
