"""The proxy tables (one metadata for the whole schema: services.core.models.Base)."""

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

from services.core.models import Base, id_column


class ProxyRequest(Base):
    __tablename__ = "proxy_requests"
    id: Mapped[uuid.UUID] = id_column()
    requester_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    relationship: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(String(16))  # pending, approved, denied
    received_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
