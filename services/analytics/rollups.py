"""Daily rollups of portal use: what the managers' dashboard reads instead of the raw events.

Each run of the job looks only at events recorded since its last run, finds the clinic days they
fall on (in the clinic's time zone), and rebuilds those days' rows from the raw events of those
days: a late event (recorded long after it happened) rebuilds its own day, and the rollups always
equal an aggregate from scratch. Events reach the rollups `LAG` after they are recorded, so that
a transaction still open when the job runs is not missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Select,
    case,
    cast,
    delete,
    distinct,
    extract,
    func,
    insert,
    literal,
    select,
)

from services.analytics import facts, periods
from services.analytics.groups import NO_SITE, age_band
from services.analytics.periods import MONTH, WEEK, Period
from services.analytics.tables import (
    UsageGroupDay,
    UsageHour,
    UsageRollupState,
    UsageUserDay,
    UsageUserPeriod,
)
from services.core import clock, db
from services.core.models import Patient, Site, User
from services.core.usage import FEATURES, SIGN_IN, PortalUsageEvent

LAG = timedelta(minutes=2)
CHUNK_DAYS = 31  # days rebuilt per statement: a month of events at a time
USAGE, FACTS = WATERMARKS = (1, 2)  # the state's rows: the usage rollups', the service facts'


def _events(first: date, last: date) -> Select[tuple[Any, ...]]:
    """The raw events of clinic days first..last with each one's day, hour, site and age band."""
    wall = clock.local_sql(PortalUsageEvent.occurred_at)
    day = cast(wall, Date)
    bit = case({f: 1 << i for i, f in enumerate(FEATURES)}, value=PortalUsageEvent.feature, else_=0)
    return (
        select(
            day.label("day"),
            extract("hour", wall).label("hour"),
            PortalUsageEvent.user_id,
            func.coalesce(Site.code, NO_SITE).label("site"),
            age_band(day, Patient.birth_date).label("age_band"),
            bit.label("bit"),
            case((PortalUsageEvent.feature == SIGN_IN, 1), else_=0).label("sign_in"),
        )
        .join(User, User.id == PortalUsageEvent.user_id, isouter=True)
        .join(Patient, Patient.id == User.patient_id, isouter=True)
        .join(Site, Site.id == Patient.site_id, isouter=True)
        .where(
            PortalUsageEvent.occurred_at >= clock.day_start(first),
            PortalUsageEvent.occurred_at < clock.day_start(last + timedelta(days=1)),
        )
    )


def bucket_of(unit: str, day: Any) -> ColumnElement[date]:
    """The first day of the calendar week or month of a date column, in SQL."""
    return cast(func.date_trunc(unit, cast(day, DateTime)), Date)


def _rebuild_groups(conn: Connection, first: date, last: date) -> None:
    """Replace the days' people per group, from the days' rows."""
    u, g = UsageUserDay, UsageGroupDay
    conn.execute(delete(g).where(g.day.between(first, last)))
    per_group = (
        select(u.day, u.site, u.age_band, func.count())
        .where(u.day.between(first, last))
        .group_by(u.day, u.site, u.age_band)
    )
    conn.execute(insert(g).from_select(["day", "site", "age_band", "people"], per_group))


def _rebuild_periods(conn: Connection, first: date, last: date) -> None:
    """Replace the weeks' and months' rows touching days first..last from the days' rows."""
    u, p = UsageUserDay, UsageUserPeriod
    for unit in (WEEK, MONTH):
        span = Period(periods.bucket(first, unit).first, periods.bucket(last, unit).last)
        conn.execute(delete(p).where(p.unit == unit, p.start.between(span.first, span.last)))
        start = bucket_of(unit, u.day)
        per_person = (
            select(
                literal(unit),
                start,
                u.user_id,
                func.max(u.site),
                func.max(u.age_band),
                func.bit_or(u.features),
            )
            .where(u.day.between(span.first, span.last))
            .group_by(start, u.user_id)
        )
        columns = ["unit", "start", "user_id", "site", "age_band", "features"]
        conn.execute(insert(p).from_select(columns, per_person))


def _rebuild_days(conn: Connection, first: date, last: date) -> None:
    """Replace the rollups of clinic days first..last with an aggregate of their raw events."""
    for table in (UsageUserDay, UsageHour):
        conn.execute(delete(table).where(table.day >= first, table.day <= last))
    events = _events(first, last).subquery()
    per_person = select(
        events.c.day,
        events.c.user_id,
        func.max(events.c.site),
        func.max(events.c.age_band),
        func.bit_or(events.c.bit),
        func.count(),
        func.sum(events.c.sign_in),
    ).group_by(events.c.day, events.c.user_id)
    conn.execute(
        insert(UsageUserDay).from_select(
            ["day", "user_id", "site", "age_band", "features", "events", "sign_ins"], per_person
        )
    )
    per_hour = select(
        events.c.day,
        events.c.hour,
        events.c.site,
        events.c.age_band,
        func.count(),
        func.sum(events.c.sign_in),
        func.count(distinct(events.c.user_id)),
    ).group_by(events.c.day, events.c.hour, events.c.site, events.c.age_band)
    conn.execute(
        insert(UsageHour).from_select(
            ["day", "hour", "site", "age_band", "events", "sign_ins", "users"], per_hour
        )
    )
    _rebuild_groups(conn, first, last)
    _rebuild_periods(conn, first, last)


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs of at most CHUNK_DAYS."""
    start = previous = None
    for day in sorted(days):
        if start is None or previous is None:
            start = previous = day
        elif day == previous + timedelta(days=1) and (day - start).days < CHUNK_DAYS:
            previous = day
        else:
            yield start, previous
            start = previous = day
    if start is not None and previous is not None:
        yield start, previous


def _watermark(conn: Connection, which: int) -> datetime | None:
    return conn.execute(
        select(UsageRollupState.rolled_until).where(UsageRollupState.id == which)
    ).scalar()


def _set_watermarks(conn: Connection, until: datetime) -> None:
    conn.execute(delete(UsageRollupState))
    conn.execute(insert(UsageRollupState), [{"id": w, "rolled_until": until} for w in WATERMARKS])


def _days(conn: Connection, since: datetime | None, until: datetime | None) -> list[date]:
    """The clinic days of the events recorded in [since, until) (open ends: no bound)."""
    recorded = PortalUsageEvent.recorded_at
    day = cast(clock.local_sql(PortalUsageEvent.occurred_at), Date)
    query = select(day).distinct()
    if since is not None:
        query = query.where(recorded >= since)
    if until is not None:
        query = query.where(recorded < until)
    found = conn.execute(query).scalars()
    return [d if isinstance(d, date) else date.fromisoformat(str(d)) for d in found]


def roll_up() -> int:
    """The job: rebuild the clinic days with events recorded since the last run, and the service
    facts of the work changed since then; how many days."""
    until = clock.now() - LAG
    with db.transaction() as session:
        conn = session.connection()
        usage_since, facts_since = (_watermark(conn, w) for w in WATERMARKS)
        if usage_since is not None and facts_since is not None and usage_since >= until:
            return 0
        days = _days(conn, usage_since, until)
        for first, last in _runs(days):
            _rebuild_days(conn, first, last)
        facts.update(conn, facts_since)
        _set_watermarks(conn, until)
    return len(days)


def rebuild(conn: Connection, until: datetime) -> int:
    """Every day's rollups and every service fact from scratch (the seed, or a repair), the job
    going on from events recorded (and work changed) at `until`; how many days hold events."""
    for table in (UsageUserDay, UsageHour, UsageGroupDay, UsageUserPeriod):
        conn.execute(delete(table))
    days = _days(conn, None, None)
    for first, last in _runs(days):
        _rebuild_days(conn, first, last)
    facts.update(conn, None)
    _set_watermarks(conn, until)
    return len(days)
