"""The care tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, id_column, patient_fk


class AppointmentSlot(Base):
    __tablename__ = "appointment_slots"
    id: Mapped[uuid.UUID] = id_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    visit_type: Mapped[str] = mapped_column(String(24))  # office, video
    booked: Mapped[bool] = mapped_column(Boolean, default=False)


class Appointment(Base):
    __tablename__ = "appointments"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    slot_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("appointment_slots.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    visit_type: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # booked, completed, cancelled, no_show
    created_at: Mapped[datetime] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Confidential adolescent information: hidden from a parent of a 12-17 year old (schema v11).
    sensitive: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", nullable=True
    )


class MessageThread(Base):
    __tablename__ = "message_threads"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    care_team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("care_teams.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Confidential adolescent information: hidden from a parent of a 12-17 year old (schema v11).
    sensitive: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", nullable=True
    )


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[uuid.UUID] = id_column()
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("message_threads.id"), index=True)
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    from_patient_side: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class RefillRequest(Base):
    __tablename__ = "refill_requests"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    medication_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("medications.id"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    pharmacy: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16))  # requested, approved, denied
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


# --- billing --------------------------------------------------------------------------------


Index("ix_appointments_start", Appointment.patient_id, Appointment.start_at)
