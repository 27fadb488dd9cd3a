"""The base of every table and the tables every domain reads (SQLAlchemy 2 typed models, the
same on DuckDB and PostgreSQL): patients and sites, users and roles, providers and care teams,
proxy grants (the access policy reads them), one-time codes, throttles, notifications, the audit
chain, job runs and the schema version. Each domain's own tables live in its `tables` module,
under this one metadata (`services/__init__.py` imports them all).

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
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.core.uploads import Stored


class Base(DeclarativeBase):
    pass


class StoredFile:
    """The columns of a file kept by services.core.uploads: its title, its type as its content
    says, size, generated storage name, SHA-256, and when it came."""

    title: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_name: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)

    def keep(self, stored: Stored, title: str, at: datetime) -> None:
        """Fill the columns from a file just stored."""
        self.title = title[:200]
        self.content_type = stored.content_type
        self.size_bytes = stored.size_bytes
        self.storage_name = stored.storage_name
        self.sha256 = stored.sha256
        self.uploaded_at = at


def id_column() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def patient_fk() -> Mapped[uuid.UUID]:
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
    id: Mapped[uuid.UUID] = id_column()
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
    id: Mapped[uuid.UUID] = id_column()
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(200))  # schema v14


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[uuid.UUID] = id_column()
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
    id: Mapped[uuid.UUID] = id_column()
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
    # The replay guard (docs/rules/security.md 4): the last time step a code was accepted for.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
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
    pending_phone: Mapped[str | None] = mapped_column(String(32))  # schema v22: waits for a code
    # A caregiver's own date of birth, for HIM's identity check (proxy accounts; schema v11).
    birth_date: Mapped[date | None] = mapped_column(Date)
    # The activation funnel (schema v16): the registration's email code, the first sign-in.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The language of the portal and its emails for this person (schema v20; None: English).
    language: Mapped[str | None] = mapped_column(String(8))


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class OneTimeCode(Base):
    """Short-lived single-use codes and tokens, stored hashed (schema v2).

    Purposes: `second_factor` (the step between password and code), `email_signin` and
    `sms_signin` codes, `email_verify`, `password_reset`.
    """

    __tablename__ = "one_time_codes"
    id: Mapped[uuid.UUID] = id_column()
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


class Throttle(Base):
    """Failures per key (a hash of what was tried) for forms used before signing in (v3)."""

    __tablename__ = "throttles"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(DateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(160))
    credentials: Mapped[str] = mapped_column(String(16))  # MD, DO, NP, PA
    specialty: Mapped[str] = mapped_column(String(80))
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))


class CareTeam(Base):
    __tablename__ = "care_teams"
    id: Mapped[uuid.UUID] = id_column()
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


class ProxyGrant(Base):
    __tablename__ = "proxy_grants"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    proxy_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(40))  # parent, guardian, spouse, child, poa
    scopes: Mapped[str] = mapped_column(String(200))  # comma-separated, see services.core.access
    basis: Mapped[str] = mapped_column(
        String(24)
    )  # patient_consent, parent_of_minor, legal_document
    granted_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class NotificationOutbox(Base):
    """Email and SMS waiting to go or gone; the body is encrypted (it may carry a code)."""

    __tablename__ = "notification_outbox"
    id: Mapped[uuid.UUID] = id_column()
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


class AuditVerification(Base):
    """One verification of the audit chain (schema v19): a full walk, or an incremental one from
    the last verified entry; its result, and a keyed tag so that a later walk may start after
    `last_seq` only if this row was written by someone holding the audit key."""

    __tablename__ = "audit_verifications"
    id: Mapped[uuid.UUID] = id_column()
    kind: Mapped[str] = mapped_column(String(16))  # full, incremental
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime] = mapped_column(DateTime)
    entries: Mapped[int] = mapped_column(BigInteger)  # walked
    ok: Mapped[bool] = mapped_column(Boolean)
    last_seq: Mapped[int] = mapped_column(BigInteger)  # verified up to (when ok)
    last_mac: Mapped[str] = mapped_column(String(64))
    first_broken_seq: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(String(200))
    tag: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_verifications_kind_ended", "kind", "ended_at"),)


class AuditHead(Base):
    """The chain's last link, one row: appenders lock it, and truncation is detected against it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_mac: Mapped[str] = mapped_column(String(64))
    # The head's own HMAC over (last_seq, last_mac): it cannot be set back without the key (v9).
    mac: Mapped[str | None] = mapped_column(String(64))


def time_series_tables() -> list[Table]:
    """Readings and usage events: primary keys on PostgreSQL only (see services.core.db); the
    seed streams them in. Marked by `info={"time_series": True}` where each is defined."""
    return [t for t in Base.metadata.sorted_tables if t.info.get("time_series")]
