"""Portal use as the managers' analytics count it: an event each time a signed-in patient or
proxy uses a feature (sign-in, the home overview, or one scope of a record), written in the
transaction of the work itself. A page's reruns are one use: one event per person and feature
a minute (looked up in the events themselves, so it holds across app processes and databases)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Index, String, Uuid, exists, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.core import clock
from services.core.access import SCOPES, SUMMARY
from services.core.models import Base

SIGN_IN, HOME, DEVICE_IMPORT = "sign_in", "home", "device_import"
FEATURES = (SIGN_IN, HOME, *SCOPES, DEVICE_IMPORT)  # the order of the bits in the daily rollups
THROTTLE = timedelta(minutes=1)


class PortalUsageEvent(Base):
    __tablename__ = "portal_usage_events"
    __table_args__ = {"info": {"time_series": True}}  # see core.models.time_series_tables
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    feature: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # When the event reached the database (schema v16): the rollups' watermark. Later than
    # `occurred_at` for an event that arrives late.
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)


def feature_of(scope: str) -> str:
    return HOME if scope == SUMMARY else scope


def record_use(
    session: Session, user_id: uuid.UUID, feature: str, patient_id: uuid.UUID | None
) -> None:
    """Add the event unless this person used this feature in the last minute."""
    now = clock.now()
    recent = exists().where(  # the time range first: recent rows only (zone maps, the key)
        PortalUsageEvent.occurred_at > now - THROTTLE,
        PortalUsageEvent.occurred_at <= now,
        PortalUsageEvent.user_id == user_id,
        PortalUsageEvent.feature == feature,
    )
    if session.scalar(select(recent)):
        return
    row = {
        "user_id": user_id,
        "occurred_at": now,
        "feature": feature,
        "patient_id": patient_id,
        "recorded_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":  # another app process, the same minute
        session.execute(postgresql.insert(PortalUsageEvent).values(row).on_conflict_do_nothing())
    else:
        session.execute(insert(PortalUsageEvent).values(row))


# The rollup job looks for events recorded since its last run (on DuckDB the events arrive in
# time order, so the column's zone maps skip the old ones without an index).
Index("ix_portal_usage_events_recorded", PortalUsageEvent.recorded_at).ddl_if(dialect="postgresql")
