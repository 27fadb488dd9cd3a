"""The portal's tables (SQLAlchemy 2 typed models), the same on DuckDB and PostgreSQL.

Identifiers are UUIDs (DuckDB has no SERIAL, and ids must not be guessable), except the audit
log, whose `seq` orders the hash chain. Times are naive UTC. The three reading tables and the
usage events are append-heavy time series loaded in bulk: they carry no foreign keys (checked by
the services) and are clustered by patient and time on DuckDB, indexed on PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def _patient_fk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, ForeignKey("patients.id"), index=True)


# --- organisation ---------------------------------------------------------------------------


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    applied_at: Mapped[datetime] = mapped_column(DateTime)


class JobRun(Base):
    """One run of a scheduled job (schema v10): which slot of its schedule it ran for, when,
    how many items it handled, and how it ended."""

    __tablename__ = "job_runs"
    id: Mapped[uuid.UUID] = _id()
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[datetime] = mapped_column(DateTime)  # the schedule's moment this run is for
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime] = mapped_column(DateTime)
    items: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # success, failure
    error: Mapped[str | None] = mapped_column(String(500))
    __table_args__ = (Index("ix_job_runs_job_slot", "job", "slot"),)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(2))


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[uuid.UUID] = _id()
    mrn: Mapped[str] = mapped_column(String(16), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))  # F, M, X
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    height_cm: Mapped[float | None] = mapped_column(Float)
    heart_failure: Mapped[bool] = mapped_column(Boolean, default=False)
    deceased_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _id()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    # An argon2 hash, or "!" for an account that cannot sign in with a password yet.
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, pending, disabled
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # replay guard (SECURITY.md 4)
    # The patient record this account belongs to (patients only; never changes once set).
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    terms_version: Mapped[str | None] = mapped_column(String(16))
    terms_accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)  # schema v2
    # Wrong second-step codes since the last full sign-in, across pending steps (schema v9).
    # Nullable in the schema only: DuckDB cannot add a NOT NULL column to a referenced table.
    second_factor_failures: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", nullable=True
    )
    # A new address waiting for its emailed code; `email` changes only then (schema v9).
    pending_email: Mapped[str | None] = mapped_column(String(254))


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class UserSession(Base):
    """Server-side session records: the browser only holds a pointer to one."""

    __tablename__ = "user_sessions"
    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class RecoveryCode(Base):
    """Second-factor recovery codes, stored hashed, each usable once (schema v2)."""

    __tablename__ = "recovery_codes"
    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class OneTimeCode(Base):
    """Short-lived single-use codes and tokens, stored hashed (schema v2).

    Purposes: `second_factor` (the step between password and code), `email_signin` and
    `sms_signin` codes, `email_verify`, `password_reset`.
    """

    __tablename__ = "one_time_codes"
    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class NotificationPreference(Base):
    """Per kind of event, email and/or SMS (schema v4); no row means the default (email)."""

    __tablename__ = "notification_preferences"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean)
    sms: Mapped[bool] = mapped_column(Boolean)


class UnitPreference(Base):
    """The units a user reads and enters health metrics in (schema v5)."""

    __tablename__ = "unit_preferences"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), primary_key=True)
    weight: Mapped[str] = mapped_column(String(8))  # kg, lb
    glucose: Mapped[str] = mapped_column(String(8))  # mg/dL, mmol/L


class ActivationCode(Base):
    """A single-use, expiring code staff give a patient to register (schema v3); stored hashed."""

    __tablename__ = "activation_codes"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class Throttle(Base):
    """Failures per key (a hash of what was tried) for forms used before signing in (v3)."""

    __tablename__ = "throttles"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(DateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(160))
    credentials: Mapped[str] = mapped_column(String(16))  # MD, DO, NP, PA
    specialty: Mapped[str] = mapped_column(String(80))
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))


class CareTeam(Base):
    __tablename__ = "care_teams"
    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(120))
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))


class CareTeamMember(Base):
    __tablename__ = "care_team_members"
    care_team_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("care_teams.id"), primary_key=True
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("providers.id"), primary_key=True
    )
    member_role: Mapped[str] = mapped_column(String(32))  # primary, nurse, specialist


class PatientCareTeam(Base):
    __tablename__ = "patient_care_teams"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    care_team_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("care_teams.id"), primary_key=True, index=True
    )
    since: Mapped[date] = mapped_column(Date)


# --- clinical record ------------------------------------------------------------------------


class Encounter(Base):
    __tablename__ = "encounters"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(32))  # office, video, telephone, lab
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(200))
    visit_summary: Mapped[str | None] = mapped_column(Text)


class ClinicalNote(Base):
    __tablename__ = "clinical_notes"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("encounters.id"))
    author_provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    note_type: Mapped[str] = mapped_column(String(40))  # progress, history, care_plan
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Confidential adolescent information (reproductive, mental health): hidden from parents.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)


class Problem(Base):
    __tablename__ = "problems"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    code: Mapped[str] = mapped_column(String(16))  # ICD-10-CM
    description: Mapped[str] = mapped_column(String(200))
    onset_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, resolved
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class Medication(Base):
    __tablename__ = "medications"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    name: Mapped[str] = mapped_column(String(120))
    rxnorm: Mapped[str | None] = mapped_column(String(16))
    dose: Mapped[str] = mapped_column(String(60))
    frequency: Mapped[str] = mapped_column(String(60))
    prescriber_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, stopped
    refills_remaining: Mapped[int] = mapped_column(Integer, default=0)


class Allergy(Base):
    __tablename__ = "allergies"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    substance: Mapped[str] = mapped_column(String(120))
    reaction: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(16))  # mild, moderate, severe
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class Immunization(Base):
    __tablename__ = "immunizations"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    vaccine: Mapped[str] = mapped_column(String(120))
    cvx: Mapped[str] = mapped_column(String(8))
    administered_on: Mapped[date] = mapped_column(Date)
    lot: Mapped[str | None] = mapped_column(String(32))


class ImagingReport(Base):
    __tablename__ = "imaging_reports"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    modality: Mapped[str] = mapped_column(String(16))  # XR, CT, MR, US
    study: Mapped[str] = mapped_column(String(160))
    performed_at: Mapped[datetime] = mapped_column(DateTime)
    report_text: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)


class LabResult(Base):
    """One resulted panel. Released at once by default; a hold needs reason, clinician, end."""

    __tablename__ = "lab_results"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    ordering_provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    panel_code: Mapped[str] = mapped_column(String(16))  # LOINC panel code
    panel_name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32))  # chemistry, hematology, sensitive...
    collected_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # preliminary, final
    resulted_at: Mapped[datetime | None] = mapped_column(DateTime)
    held_at: Mapped[datetime | None] = mapped_column(DateTime)
    hold_reason: Mapped[str | None] = mapped_column(String(32))  # preventing_harm, patient_request
    hold_note: Mapped[str | None] = mapped_column(Text)
    hold_until: Mapped[datetime | None] = mapped_column(DateTime)
    held_by_provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    clinician_comment: Mapped[str | None] = mapped_column(Text)
    first_viewed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ResultHoldDecision(Base):
    """Who held a result, changed a hold or released it, why and until when (schema v6).

    Written as new rows: DuckDB cannot update a foreign-key column of a row other tables
    reference, and the decisions' history is worth keeping anyway.
    """

    __tablename__ = "result_hold_decisions"
    id: Mapped[uuid.UUID] = _id()
    result_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("lab_results.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    decision: Mapped[str] = mapped_column(String(16))  # hold, change, release
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime] = mapped_column(DateTime)


class ResultDelayPreference(Base):
    """A category of results the patient asked to wait for their clinician (schema v6)."""

    __tablename__ = "result_delay_preferences"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)


class LabComponent(Base):
    __tablename__ = "lab_components"
    id: Mapped[uuid.UUID] = _id()
    result_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("lab_results.id"), index=True)
    loinc: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    value: Mapped[float | None] = mapped_column(Double)  # DOUBLE since schema v8
    value_text: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(24))
    ref_low: Mapped[float | None] = mapped_column(Double)
    ref_high: Mapped[float | None] = mapped_column(Double)
    flag: Mapped[str | None] = mapped_column(String(4))  # L, H, LL, HH


# --- health metrics (time series) -----------------------------------------------------------


class BloodPressureReading(Base):
    __tablename__ = "blood_pressure_readings"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # manual, device
    systolic: Mapped[int] = mapped_column(SmallInteger)
    diastolic: Mapped[int] = mapped_column(SmallInteger)
    pulse: Mapped[int | None] = mapped_column(SmallInteger)


class WeightReading(Base):
    __tablename__ = "weight_readings"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    weight_kg: Mapped[float] = mapped_column(Double)  # 8 bytes: DuckDB's FLOAT is 4 (schema v8)


class GlucoseReading(Base):
    __tablename__ = "glucose_readings"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # manual, device, cgm
    mg_dl: Mapped[int] = mapped_column(SmallInteger)
    flag: Mapped[str | None] = mapped_column(String(4))  # LOW / HIGH sensor markers


class MetricAlert(Base):
    __tablename__ = "metric_alerts"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    metric: Mapped[str] = mapped_column(String(16))  # blood_pressure, glucose, weight
    rule: Mapped[str] = mapped_column(String(40))
    measured_at: Mapped[datetime] = mapped_column(DateTime)
    value_text: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)


# --- scheduling, messaging, refills ---------------------------------------------------------


class AppointmentSlot(Base):
    __tablename__ = "appointment_slots"
    id: Mapped[uuid.UUID] = _id()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    visit_type: Mapped[str] = mapped_column(String(24))  # office, video
    booked: Mapped[bool] = mapped_column(Boolean, default=False)


class Appointment(Base):
    __tablename__ = "appointments"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
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


class MessageThread(Base):
    __tablename__ = "message_threads"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    care_team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("care_teams.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[uuid.UUID] = _id()
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("message_threads.id"), index=True)
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    from_patient_side: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class RefillRequest(Base):
    __tablename__ = "refill_requests"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    medication_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("medications.id"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    pharmacy: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16))  # requested, approved, denied
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


# --- billing --------------------------------------------------------------------------------


class InsuranceCoverage(Base):
    __tablename__ = "insurance_coverages"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    payer: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    effective_on: Mapped[date] = mapped_column(Date)


class Statement(Base):
    __tablename__ = "statements"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    statement_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # patient responsibility
    status: Mapped[str] = mapped_column(String(16))  # open, paid, plan, written_off


class StatementLine(Base):
    __tablename__ = "statement_lines"
    id: Mapped[uuid.UUID] = _id()
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("statements.id"), index=True)
    service_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    charge_cents: Mapped[int] = mapped_column(BigInteger)
    insurance_paid_cents: Mapped[int] = mapped_column(BigInteger)
    adjustment_cents: Mapped[int] = mapped_column(BigInteger)
    patient_cents: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    """A payment; only the processor's reference and the card's last four digits are kept."""

    __tablename__ = "payments"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    statement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("statements.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))  # card, ach, plan
    card_last4: Mapped[str | None] = mapped_column(String(4))
    processor_ref: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # succeeded, refunded, failed
    online: Mapped[bool] = mapped_column(Boolean)


class PaymentPlan(Base):
    __tablename__ = "payment_plans"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    total_cents: Mapped[int] = mapped_column(BigInteger)
    monthly_cents: Mapped[int] = mapped_column(BigInteger)
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, completed, cancelled


# --- proxies, HIM requests, documents -------------------------------------------------------


class ProxyGrant(Base):
    __tablename__ = "proxy_grants"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    proxy_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(40))  # parent, guardian, spouse, child, poa
    scopes: Mapped[str] = mapped_column(String(200))  # comma-separated, see services.core.access
    basis: Mapped[str] = mapped_column(
        String(24)
    )  # patient_consent, parent_of_minor, legal_document
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProxyRequest(Base):
    __tablename__ = "proxy_requests"
    id: Mapped[uuid.UUID] = _id()
    requester_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    relationship: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(String(16))  # pending, approved, denied
    received_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class RecordsRequest(Base):
    """HIM work: access/ROI, amendment, accounting of disclosures, record updates."""

    __tablename__ = "records_requests"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
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


class Disclosure(Base):
    __tablename__ = "disclosures"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    disclosed_at: Mapped[datetime] = mapped_column(DateTime)
    recipient: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(120))
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("records_requests.id"))


class ShareLink(Base):
    """A patient's time-limited download link for one recipient (schema v7); token hashed."""

    __tablename__ = "share_links"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_email: Mapped[str] = mapped_column(String(254))
    what: Mapped[str] = mapped_column(String(16))  # summary_pdf, fhir
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[uuid.UUID] = _id()
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    doc_type: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    shared_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- notifications, usage, audit ------------------------------------------------------------


class NotificationOutbox(Base):
    """Email and SMS waiting to go or gone; the body is encrypted (it may carry a code)."""

    __tablename__ = "notification_outbox"
    id: Mapped[uuid.UUID] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # email, sms
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # A fixed address (schema v9), e.g. the old email told of a change; else the user's current.
    to_address: Mapped[str | None] = mapped_column(String(254))


class PortalUsageEvent(Base):
    __tablename__ = "portal_usage_events"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    feature: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class AuditEvent(Base):
    """Append-only; `mac` is an HMAC over this row's content and the previous row's `mac`."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    acting_for_patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # success, denied, not_found, failure
    detail: Mapped[str | None] = mapped_column(String(200))
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


AUDIT_GENESIS = "0" * 64  # the "previous mac" of the first entry


class AuditHead(Base):
    """The chain's last link, one row: appenders lock it, and truncation is detected against it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_mac: Mapped[str] = mapped_column(String(64))
    # The head's own HMAC over (last_seq, last_mac): it cannot be set back without the key (v9).
    mac: Mapped[str | None] = mapped_column(String(64))


# Time-series tables carry their primary keys on PostgreSQL only (see services.core.db).
TIME_SERIES_TABLES = tuple(
    Base.metadata.tables[name]
    for name in (
        "blood_pressure_readings",
        "weight_readings",
        "glucose_readings",
        "portal_usage_events",
    )
)

# PostgreSQL only: DuckDB turns an update of an indexed column into delete + insert, which its
# foreign keys refuse while lab_components reference the row (releasing would fail).
Index("ix_lab_results_status", LabResult.patient_id, LabResult.released_at).ddl_if(
    dialect="postgresql"
)
Index("ix_appointments_start", Appointment.patient_id, Appointment.start_at)
