"""The health tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Double, ForeignKey, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, id_column, patient_fk


class UnitPreference(Base):
    """The units a user reads and enters health metrics in (schema v5)."""

    __tablename__ = "unit_preferences"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), primary_key=True)
    weight: Mapped[str] = mapped_column(String(8))  # kg, lb
    glucose: Mapped[str] = mapped_column(String(8))  # mg/dL, mmol/L


class BloodPressureReading(Base):
    __tablename__ = "blood_pressure_readings"
    __table_args__ = {"info": {"time_series": True}}  # see core.models.time_series_tables
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # manual, device
    systolic: Mapped[int] = mapped_column(SmallInteger)
    diastolic: Mapped[int] = mapped_column(SmallInteger)
    pulse: Mapped[int | None] = mapped_column(SmallInteger)


class WeightReading(Base):
    __tablename__ = "weight_readings"
    __table_args__ = {"info": {"time_series": True}}  # see core.models.time_series_tables
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    weight_kg: Mapped[float] = mapped_column(Double)  # 8 bytes: DuckDB's FLOAT is 4 (schema v8)


class GlucoseReading(Base):
    __tablename__ = "glucose_readings"
    __table_args__ = {"info": {"time_series": True}}  # see core.models.time_series_tables
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # manual, device, cgm
    mg_dl: Mapped[int] = mapped_column(SmallInteger)
    flag: Mapped[str | None] = mapped_column(String(4))  # LOW / HIGH sensor markers


class MetricAlert(Base):
    __tablename__ = "metric_alerts"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    metric: Mapped[str] = mapped_column(String(16))  # blood_pressure, glucose, weight
    rule: Mapped[str] = mapped_column(String(40))
    measured_at: Mapped[datetime] = mapped_column(DateTime)
    value_text: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)


# --- scheduling, messaging, refills ---------------------------------------------------------
