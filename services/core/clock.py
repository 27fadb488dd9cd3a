"""The one clock: naive UTC datetimes are stored everywhere; tests freeze it with `frozen()`.

People live in the clinic's time zone (`PORTAL_TIMEZONE`): days, morning and evening, deadlines
and every shown time are reckoned there, correct across daylight-saving changes (a day is 23 or
25 hours twice a year). `local_sql` does the same conversion inside the database, with the same
function on DuckDB (ICU, built in) and PostgreSQL.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import ColumnElement, func

from services.core.config import settings

_frozen: datetime | None = None


def now() -> datetime:
    """The current time as a naive UTC datetime (how every timestamp is stored)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    global _frozen
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous


def zone() -> ZoneInfo:
    return ZoneInfo(settings().timezone)


def local(moment: datetime) -> datetime:
    """A stored (naive UTC) time as the clinic's wall-clock time, aware of its zone."""
    return moment.replace(tzinfo=UTC).astimezone(zone())


def from_local(wall: datetime) -> datetime:
    """A wall-clock time in the clinic's zone as stored time (naive UTC). In the hour the clocks
    skip it means the time after the change; in the hour they repeat, the first one."""
    # fold=0: a skipped time takes the offset before the change (so 02:30 is 03:30 after it),
    # a repeated one the first of its two offsets.
    return wall.replace(tzinfo=zone(), fold=0).astimezone(UTC).replace(tzinfo=None)


def today() -> date:
    return local(now()).date()


def day_start(day: date) -> datetime:
    """When the clinic's day begins, as stored time: local midnight in UTC."""
    return from_local(datetime.combine(day, time.min))


def business_days(since: datetime, until: datetime) -> int:
    """Whole business days (Monday to Friday, in the clinic's time zone) from `since` to
    `until`; public holidays count as business days."""
    start, end = local(since).date(), local(until).date()
    return int(np.busday_count(start, end)) if end > start else 0


def local_sql(column: Any) -> ColumnElement[datetime]:
    """The stored UTC timestamp column as the clinic's wall-clock timestamp, in SQL."""
    return func.timezone(settings().timezone, func.timezone("UTC", column))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); the month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
