"""The him tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, id_column, patient_fk


class RecordsRequest(Base):
    """HIM work: access/ROI, amendment, accounting of disclosures, record updates."""

    __tablename__ = "records_requests"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    kind: Mapped[str] = mapped_column(String(24))  # access, roi, amendment, accounting, update
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    recipient: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    extended_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # received, in_progress, completed, denied
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    handled_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
