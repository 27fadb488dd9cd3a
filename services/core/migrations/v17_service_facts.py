"""Schema version 17."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Double,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    cast,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.sql import column as column_of
from sqlalchemy.sql import table as table_of


def upgrade(conn: Connection) -> None:
    """The facts the dashboard's service levels are counted from (filled from scratch by the
    rollup job's next run: they have no watermark yet); people per day and group, and each
    person's weeks and months of use, from their days."""
    Table(
        "service_facts",
        MetaData(),
        Column("kind", String(12), nullable=False),
        Column("item_id", Uuid, nullable=False),
        Column("day", Date, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("queue", String(64)),
        Column("started_at", DateTime, nullable=False),
        Column("done_at", DateTime),
        Column("due_at", DateTime),
        Column("hours", Double),
        Column("flag", Boolean),
        Column("flag_hours", Double),
        Column("amount_cents", BigInteger),
    ).create(conn)
    Table(
        "usage_user_periods",
        MetaData(),
        Column("unit", String(5), nullable=False),
        Column("start", Date, nullable=False),
        Column("user_id", Uuid, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("features", Integer, nullable=False),
    ).create(conn)
    Table(
        "usage_group_days",
        MetaData(),
        Column("day", Date, nullable=False),
        Column("site", String(16), nullable=False),
        Column("age_band", String(8), nullable=False),
        Column("people", Integer, nullable=False),
    ).create(conn)
    conn.execute(
        text(
            "INSERT INTO usage_group_days SELECT day, site, age_band, count(*) "
            "FROM usage_user_days GROUP BY day, site, age_band"
        )
    )
    days = table_of(
        "usage_user_days", *(column_of(c) for c in ("day", "user_id", "site", "age_band"))
    )
    features = column_of("features", Integer)
    days.append_column(features)
    names = ["unit", "start", "user_id", "site", "age_band", "features"]
    for unit in ("week", "month"):
        start = cast(func.date_trunc(unit, cast(days.c.day, DateTime)), Date)
        per_person = select(
            literal(unit),
            start,
            days.c.user_id,
            func.max(days.c.site),
            func.max(days.c.age_band),
            func.bit_or(features),
        ).group_by(start, days.c.user_id)
        target = table_of("usage_user_periods", *(column_of(n) for n in names))
        conn.execute(insert(target).from_select(names, per_person))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE service_facts ADD PRIMARY KEY (kind, item_id)"))
        conn.execute(text("ALTER TABLE usage_user_periods ADD PRIMARY KEY (unit, start, user_id)"))
        conn.execute(text("ALTER TABLE usage_group_days ADD PRIMARY KEY (day, site, age_band)"))
