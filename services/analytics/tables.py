"""The analytics tables (one metadata for the whole schema: services.core.models.Base): the daily
rollups of portal use that the managers' dashboard reads instead of the raw events (schema v16),
and the facts its service levels are counted from (schema v17)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base

# Rollups grow with days × people: clustered by day like the time series, no ART index on DuckDB
# (see services.core.db); the seed leaves them empty and builds them from the events.
_ROLLUP = {"info": {"time_series": True}}


class UsageUserDay(Base):
    """One row per person and clinic day with any portal use."""

    __tablename__ = "usage_user_days"
    __table_args__ = _ROLLUP
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site: Mapped[str] = mapped_column(String(16))  # the person's site code, or "none"
    age_band: Mapped[str] = mapped_column(String(8))  # their age that day, banded
    features: Mapped[int] = mapped_column(Integer)  # bit i: core.usage.FEATURES[i] used
    events: Mapped[int] = mapped_column(Integer)
    sign_ins: Mapped[int] = mapped_column(Integer)


class UsageGroupDay(Base):
    """People active per clinic day, site and age band: the daily figure without its people."""

    __tablename__ = "usage_group_days"
    __table_args__ = _ROLLUP
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site: Mapped[str] = mapped_column(String(16), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(8), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)


class UsageUserPeriod(Base):
    """One row per person and calendar week (from Monday) or month with any portal use: the
    person's days in it added up, so that whole weeks and months are not grouped again."""

    __tablename__ = "usage_user_periods"
    __table_args__ = _ROLLUP
    unit: Mapped[str] = mapped_column(String(5), primary_key=True)  # week, month
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(8))  # the latest in it
    features: Mapped[int] = mapped_column(Integer)


class UsageHour(Base):
    """Portal use per clinic day and hour (the clinic's wall clock), by site and age band."""

    __tablename__ = "usage_hours"
    __table_args__ = _ROLLUP
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    site: Mapped[str] = mapped_column(String(16), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(8), primary_key=True)
    events: Mapped[int] = mapped_column(Integer)
    sign_ins: Mapped[int] = mapped_column(Integer)
    users: Mapped[int] = mapped_column(Integer)


class UsageRollupState(Base):
    """A row per rollup (rollups.WATERMARKS): events recorded, or work changed, before
    `rolled_until` are in it."""

    __tablename__ = "usage_rollup_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_until: Mapped[datetime] = mapped_column(DateTime)


class ServiceFact(Base):
    """One row per piece of work the portal's service levels count (a released result, a
    patient's message thread, a refill, a records or caregiver-access request, a visit, a
    payment, a statement), rebuilt when the work changes (services.analytics.facts)."""

    __tablename__ = "service_facts"
    __table_args__ = _ROLLUP
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the clinic day the work began
    site: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(8))
    queue: Mapped[str | None] = mapped_column(String(64))  # a message pool, a request's kind
    started_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)  # viewed, answered, decided…
    due_at: Mapped[datetime | None] = mapped_column(DateTime)  # done before this: on time
    hours: Mapped[float | None] = mapped_column(Double)  # started to done
    flag: Mapped[bool | None] = mapped_column(Boolean)  # held, self-scheduled, online, on a plan
    flag_hours: Mapped[float | None] = mapped_column(Double)  # how long a result was held
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)


class ProtectedSlice(Base):
    """Which cells of a slice of counts are hidden (services.analytics.cells), by the slice's
    digest: counts alone decide it, so any manager's view may reuse it (schema v18)."""

    __tablename__ = "protected_slices"
    digest: Mapped[str] = mapped_column(String(40), primary_key=True)
    hidden: Mapped[str] = mapped_column(Text)  # "0"/"1" per cell, row by row
    stored_on: Mapped[date] = mapped_column(Date)
