"""Schema version 17."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql import column as column_of
from sqlalchemy.sql import table as table_of

from services.core.migrations.ddl import at


def upgrade(conn: sa.Connection) -> None:
    """The facts the dashboard's service levels are counted from (filled from scratch by the
    rollup job's next run: they have no watermark yet); people per day and group, and each
    person's weeks and months of use, from their days."""
    sa.Table(
        "service_facts",
        sa.MetaData(),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("item_id", sa.Uuid, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("queue", sa.String(64)),
        at("started_at"),
        at("done_at", required=False),
        at("due_at", required=False),
        sa.Column("hours", sa.Double),
        sa.Column("flag", sa.Boolean),
        sa.Column("flag_hours", sa.Double),
        sa.Column("amount_cents", sa.BigInteger),
    ).create(conn)
    sa.Table(
        "usage_user_periods",
        sa.MetaData(),
        sa.Column("unit", sa.String(5), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("features", sa.Integer, nullable=False),
    ).create(conn)
    sa.Table(
        "usage_group_days",
        sa.MetaData(),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
    ).create(conn)
    conn.execute(
        sa.text(
            "INSERT INTO usage_group_days SELECT day, site, age_band, count(*) "
            "FROM usage_user_days GROUP BY day, site, age_band"
        )
    )
    days = table_of(
        "usage_user_days", *(column_of(c) for c in ("day", "user_id", "site", "age_band"))
    )
    features = column_of("features", sa.Integer)
    days.append_column(features)
    names = ["unit", "start", "user_id", "site", "age_band", "features"]
    for unit in ("week", "month"):
        start = sa.cast(sa.func.date_trunc(unit, sa.cast(days.c.day, sa.DateTime)), sa.Date)
        per_person = sa.select(
            sa.literal(unit),
            start,
            days.c.user_id,
            sa.func.max(days.c.site),
            sa.func.max(days.c.age_band),
            sa.func.bit_or(features),
        ).group_by(start, days.c.user_id)
        target = table_of("usage_user_periods", *(column_of(n) for n in names))
        conn.execute(sa.insert(target).from_select(names, per_person))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ALTER TABLE service_facts ADD PRIMARY KEY (kind, item_id)"))
        conn.execute(
            sa.text("ALTER TABLE usage_user_periods ADD PRIMARY KEY (unit, start, user_id)")
        )
        conn.execute(sa.text("ALTER TABLE usage_group_days ADD PRIMARY KEY (day, site, age_band)"))
