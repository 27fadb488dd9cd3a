"""Engagement, from the daily rollups only: daily, weekly and monthly active people, stickiness,
use by feature per week, and when in the week people use the portal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, case, cast, extract, func, select, union_all
from sqlalchemy.orm import Session

from services.analytics import periods
from services.analytics.cube import Axes, Cube, fetch_columns
from services.analytics.periods import MONTH, WEEK, Period
from services.analytics.rollups import bucket_of
from services.analytics.tables import UsageGroupDay, UsageHour, UsageUserDay, UsageUserPeriod
from services.core.usage import FEATURES

U = UsageUserDay


def _in(period: Period) -> Any:
    return U.day.between(period.first, period.last)


def daily_active(session: Session, period: Period, axes: Axes) -> Cube:
    """People active each day (a person counts once a day): the days add up to person-days."""
    g = UsageGroupDay
    query = select(g.day, g.site, g.age_band, g.people).where(
        g.day.between(period.first, period.last)
    )
    return Cube(fetch_columns(session, query), period.each_day(), axes, adds_up=True)


def _by_bucket(period: Period, unit: str) -> Any:
    """One row per person and week or month of the period: whole weeks and months from their
    rollup, the partial ones at the period's ends grouped from its days."""
    p = UsageUserPeriod
    starts = period.weeks() if unit == WEEK else period.months()
    whole = [s for s in starts if s >= period.first and periods.bucket(s, unit).last <= period.last]
    start = bucket_of(unit, U.day)
    ends = select(
        start.label("bucket"),
        U.user_id,
        func.max(U.site).label("site"),
        func.max(U.age_band).label("age_band"),
        func.bit_or(U.features).label("features"),
    ).where(_in(period))
    if not whole:
        return ends.group_by(start, U.user_id).subquery()
    inside = Period(whole[0], periods.bucket(whole[-1], unit).last)
    ends = ends.where(~U.day.between(inside.first, inside.last)).group_by(start, U.user_id)
    rollup = select(p.start.label("bucket"), p.user_id, p.site, p.age_band, p.features).where(
        p.unit == unit, p.start.between(inside.first, inside.last)
    )
    return union_all(rollup, ends).subquery()


def _people(period: Period, unit: str | None) -> Any:
    """One row per person and bucket (a week, a month, or the whole period for None), with the
    person's site and latest age band in it (so a person counts in one group only, and the
    groups add up to "all")."""
    if unit is not None:
        return _by_bucket(period, unit)
    months = _by_bucket(period, MONTH)
    return (
        select(
            cast(period.first, Date).label("bucket"),
            months.c.user_id,
            func.max(months.c.site).label("site"),
            func.max(months.c.age_band).label("age_band"),
            func.bit_or(months.c.features).label("features"),
        )
        .group_by(months.c.user_id)
        .subquery()
    )


def active_people(session: Session, period: Period, axes: Axes, unit: str | None) -> Cube:
    """Distinct people active in each week or month, or (unit None) in the whole period."""
    people = _people(period, unit)
    query = select(people.c.bucket, people.c.site, people.c.age_band, func.count()).group_by(
        people.c.bucket, people.c.site, people.c.age_band
    )
    buckets: Sequence[date] = (
        period.weeks() if unit == WEEK else period.months() if unit == MONTH else [period.first]
    )
    return Cube(fetch_columns(session, query), buckets, axes)


def feature_use(session: Session, period: Period, axes: Axes) -> dict[str, Cube]:
    """Distinct people using each feature, per week."""
    people = _people(period, WEEK)
    columns = [
        func.sum(case((people.c.features.op("&")(1 << k) != 0, 1), else_=0)).label(feature)
        for k, feature in enumerate(FEATURES)
    ]
    query = select(people.c.bucket, people.c.site, people.c.age_band, *columns).group_by(
        people.c.bucket, people.c.site, people.c.age_band
    )
    bucket, site, band, *counts = fetch_columns(session, query)
    weeks = period.weeks()
    return {
        feature: Cube((bucket, site, band, counts[k]), weeks, axes)
        for k, feature in enumerate(FEATURES)
    }


def hour_of_week(weekday: int, hour: int) -> int:
    """The bucket of an hour of an ISO weekday (Monday 1) in `weekday_hours`."""
    return (weekday - 1) * 24 + hour


def weekday_hours(session: Session, period: Period, axes: Axes) -> Cube:
    """People active in each hour of each weekday (clinic time), summed over the period's days:
    buckets 0-167, Monday 00:00 first (`hour_of_week`). No total of them is shown anywhere."""
    slot = ((extract("isodow", UsageHour.day) - 1) * 24 + UsageHour.hour).label("slot")
    query = (
        select(slot, UsageHour.site, UsageHour.age_band, func.sum(UsageHour.users))
        .where(UsageHour.day.between(period.first, period.last))
        .group_by(slot, UsageHour.site, UsageHour.age_band)
    )
    return Cube(fetch_columns(session, query), range(7 * 24), axes)
