"""The analytics tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    DateTime,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base


class PortalUsageEvent(Base):
    __tablename__ = "portal_usage_events"
    __table_args__ = {"info": {"time_series": True}}  # see core.models.time_series_tables
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    feature: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
